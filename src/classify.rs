//! Stage 4: give every line a verdict (keep or drop) and the reason for it.
//!
//! Decide first, apply later: this stage only labels lines; `assemble` builds the text.
//! The order of the deciders is the order of their certainty:
//! 1. a UI-text rule (`rules/default.toml`) drops the line outright;
//! 2. a caption repeated inside a neighbouring line (alt text next to its figcaption, or
//!    the same with a credit glued on) is dropped;
//! 3. the line classifier (two logistic regressions over the line and its neighbourhood,
//!    then Viterbi smoothing, see `model`) finds the article's span;
//! 4. the headline is picked among the lines just before the article, kept once, and its
//!    repeats dropped.

use std::collections::HashMap;
use std::fmt;

use crate::features::{self, LineContext};
use crate::model::Model;
use crate::rules::RuleSet;
use crate::segment::{Document, FxBuild, Line, LineEnd, WordFilter, UNREAD};
use crate::swar::{ascii_alnum_mask16, maybe_zero_bytes, tail_word, ONES};

/// Why a line was kept or dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A UI-text rule matched (its id).
    Rule(String),
    /// A caption whose text stands again in a neighbouring line.
    Caption,
    /// The line classifier decided (see [`Verdict::score`]).
    Classifier,
    /// A layout rule applied after the classifier (its id: `before-headline`,
    /// `caption-neighbour`, `comment-thread`, `edge-prose` (kept), `related-link`,
    /// `set-apart`, `standfirst` (kept), `trailing-tags`).
    Layout(&'static str),
    /// The document's headline.
    Headline,
    /// A repeat of the headline.
    HeadlineRepeat,
    /// The line recurs in this many documents of its scope (a site's template: menu,
    /// footer, sidebar); see `corpus`.
    Repeated {
        /// Documents of the scope the line occurs in.
        documents: u32,
    },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Rule(id) => write!(f, "rule:{id}"),
            Reason::Caption => f.write_str("caption-repeat"),
            Reason::Classifier => f.write_str("classifier"),
            Reason::Layout(id) => f.write_str(id),
            Reason::Headline => f.write_str("headline"),
            Reason::HeadlineRepeat => f.write_str("headline-repeat"),
            Reason::Repeated { documents } => write!(f, "repeated-across-documents:{documents}"),
        }
    }
}

/// The decision for one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Keep the line in the output.
    pub keep: bool,
    /// Why.
    pub reason: Reason,
    /// The classifier's probability that the line is article text (0..1).
    pub score: f32,
}

/// The facts about each line that come before the classifier: rule hits, captions, and the
/// feature context. Shared by [`classify`] and the trainer. Borrows the rule ids and
/// categories from the [`RuleSet`] (no copy per line).
#[derive(Debug, Clone)]
pub struct Prepared<'r> {
    /// The rule that matched each line, if any.
    pub rule: Vec<Option<&'r str>>,
    /// The category of that rule.
    pub category: Vec<Option<&'r str>>,
    /// Whether each line is a repeated caption.
    pub caption: Vec<bool>,
    /// Stage-1 feature vectors, row-major.
    pub x1: Vec<f32>,
}

/// The rule match of one line as `(id, category)`.
pub type LineMatch<'r> = Option<(&'r str, &'r str)>;

/// Runs the rules and computes the stage-1 features of every line.
pub fn prepare<'r>(doc: &Document, rules: &'r RuleSet) -> Prepared<'r> {
    prepare_known(doc, rules, &[])
}

/// [`prepare`] with the rule matches of some lines already known: `known[i]`, when
/// present and `Some`, is the match `rules.match_line` found on line `i` (a caller that has
/// run the rules on a line need not run them twice); the rules run on every other line,
/// once per distinct text (copies of a repeated line share the first copy's match).
pub fn prepare_known<'r>(
    doc: &Document,
    rules: &'r RuleSet,
    known: &[LineMatch<'r>],
) -> Prepared<'r> {
    let mut x1 = Vec::with_capacity(doc.lines.len() * features::stage1_len());
    let facts = prepare_rows(doc, rules, known, None, |block| block.rows_onto(&mut x1));
    Prepared {
        rule: facts.rule,
        category: facts.category,
        caption: facts.caption,
        x1,
    }
}

/// What deciding reads of each line besides the classifier's probability: what a
/// [`Prepared`] keeps but the stage-1 rows, and of those only the title overlap.
struct Facts<'a, 'r> {
    rule: &'a [Option<&'r str>],
    category: &'a [Option<&'r str>],
    caption: &'a [bool],
    /// The `title_overlap` feature of each line.
    title_overlap: &'a [f32],
}

/// The [`Facts`] that [`prepare_rows`] gives, owned.
struct OwnFacts<'r> {
    rule: Vec<Option<&'r str>>,
    category: Vec<Option<&'r str>>,
    caption: Vec<bool>,
    title_overlap: Vec<f32>,
}

impl<'r> OwnFacts<'r> {
    fn facts(&self) -> Facts<'_, 'r> {
        Facts {
            rule: &self.rule,
            category: &self.category,
            caption: &self.caption,
            title_overlap: &self.title_overlap,
        }
    }
}

/// [`decide`] of a [`Prepared`] reads the title overlaps from its rows.
fn title_overlaps(prepared: &Prepared) -> Vec<f32> {
    (0..prepared.rule.len())
        .map(|i| features::title_overlap(&prepared.x1, i))
        .collect()
}

/// [`prepare_known`], with the stage-1 rows handed to `blocks` a block at a time (see
/// [`features::stage1_blocks`]) rather than kept: [`classify_known_ids`] scores them as
/// they come, and a large document then needs no matrix of them. `title`, when given,
/// holds the title words segment counted in the lines of `doc` (see [`TitleHits`]).
fn prepare_rows<'r>(
    doc: &Document,
    rules: &'r RuleSet,
    known: &[LineMatch<'r>],
    title: Option<TitleHits>,
    blocks: impl FnMut(&features::Block),
) -> OwnFacts<'r> {
    // The rule ids and categories are written straight into the two vectors `Prepared`
    // keeps (not gathered as pairs and split afterwards), each line's core in the same pass.
    let n = doc.lines.len();
    let (mut rule, mut category): (Vec<Option<&str>>, Vec<Option<&str>>) =
        (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut cores: Vec<&str> = Vec::with_capacity(n);
    // A line's match depends only on its text: the copies of a line that occurs more than
    // once in this document (menus, footers; segment counted them) take an earlier copy's
    // match (in `rule` and `category` already) instead of running the rules again. The
    // earlier copy is found in a table by the line's [`copy_slot`] and checked by comparing
    // texts, so a wrong count or two lines of one slot only cost a run of the rules; unique
    // lines (most) never touch it. (A map keyed by the texts hashed each repeated line whole
    // and probed a table grown line by line.) The table has twice as many slots as the
    // document has repeated lines, at least `COPY_SLOTS`: a page's menu takes the smallest,
    // and a large document (a whole stream on stdin, its lines repeated many times) one
    // large enough that its distinct texts seldom evict each other.
    let repeated = doc.lines.iter().filter(|l| l.stats.repeats > 1).count();
    let mut copies = vec![0u32; (2 * repeated).next_power_of_two().max(COPY_SLOTS)];
    let mask = copies.len() - 1;
    let run = |text: &str| rules.match_line(text).map(|m| (m.id, m.category));
    for (i, l) in doc.lines.iter().enumerate() {
        let m = match known.get(i) {
            Some(Some(m)) => Some(*m),
            _ if l.stats.repeats > 1 => {
                // The index of the copy, plus one (0: none).
                let slot = &mut copies[copy_slot(&l.text, mask)];
                match (*slot as usize).checked_sub(1) {
                    Some(j) if doc.lines[j].text == l.text => rule[j].zip(category[j]),
                    _ => {
                        *slot = u32::try_from(i + 1).unwrap_or(0);
                        run(&l.text)
                    }
                }
            }
            _ => run(&l.text),
        };
        rule.push(m.map(|(id, _)| id));
        category.push(m.map(|(_, c)| c));
        // A line too short to be a repeated caption and with too few words to carry an
        // attribution needs no core (nothing reads it): its text stands in.
        cores.push(
            if l.text.len() < CAPTION_MIN_CHARS && l.stats.words < ATTRIBUTED_MIN_WORDS {
                &l.text
            } else {
                strip_source_suffix(&l.text)
            },
        );
    }
    // Neither the table of copies nor the cores are needed past here: freed before the
    // stage-1 features (on a large document, 8 bytes a line and more).
    drop(copies);
    let mut caption = repeated_captions_with(&doc.lines, &cores);
    mark_attributed_captions(&doc.lines, &cores, &mut caption);
    drop(cores);
    // Without counts from segment, every line's words are read here.
    let mut title = title.unwrap_or_else(|| TitleHits {
        filter: TitleFilter::of(doc.lines.first().map_or("", |l| &l.text)),
        hits: Vec::new(),
    });
    // Each line's context is worked out as stage 1 reaches the line (no vector of them);
    // deciding reads its title overlap again.
    let mut title_overlap = Vec::with_capacity(n);
    features::stage1_blocks(
        doc,
        |i| {
            let category = category[i];
            let overlap = if i == 0 {
                0.0
            } else {
                title.overlap(i, &doc.lines[i])
            };
            title_overlap.push(overlap);
            LineContext {
                rule: rule[i].is_some(),
                title_overlap: overlap,
                comments_rule: category == Some("comments"),
                related_rule: matches!(category, Some("related" | "navigation")),
            }
        },
        blocks,
    );
    OwnFacts {
        rule,
        category,
        caption,
        title_overlap,
    }
}

/// The fewest slots [`prepare_known`] finds the earlier copies of repeated lines in: more
/// than the distinct repeated lines of a page (a menu, a footer, share buttons), so that
/// two of them seldom share one.
const COPY_SLOTS: usize = 256;

/// The slot of a line in [`prepare_known`]'s table of copies of `mask + 1` slots (a power
/// of two): a hash of its length and first and last eight bytes (copies are equal in all
/// of them; lines that differ only inside share a slot, and the texts are compared anyway).
fn copy_slot(text: &str, mask: usize) -> usize {
    let b = text.as_bytes();
    let n = b.len();
    let head = match b.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        None if n > 0 => tail_word(b, n),
        None => 0,
    };
    let tail = match b.last_chunk::<8>() {
        Some(tail) => u64::from_le_bytes(*tail),
        None => head,
    };
    let h = crate::swar::fold_mul(head ^ tail.rotate_left(32) ^ n as u64);
    h as usize & mask
}

/// Decides every line of `doc`.
pub fn classify(doc: &Document, rules: &RuleSet, model: &Model) -> Vec<Verdict> {
    classify_known_ids(doc, rules, model, &[], true, None)
}

/// [`classify`] with the rule matches of some lines already known (see [`prepare_known`]).
pub fn classify_known<'r>(
    doc: &Document,
    rules: &'r RuleSet,
    model: &Model,
    known: &[LineMatch<'r>],
) -> Vec<Verdict> {
    classify_known_ids(doc, rules, model, known, true, None)
}

/// [`classify_known`], naming the rule in each [`Reason::Rule`] only with `rule_ids`
/// (without, the reason holds an empty id): for a caller that reads no reason's id, which
/// then costs no string per line a rule matched (a quarter of a page's lines, often).
/// The keep decisions and every other reason are the same either way.
///
/// `title`, when given, is what segment counted of the title's words in the lines of `doc`
/// (see [`TitleHits`]); without, the lines' words are read again here.
pub(crate) fn classify_known_ids<'r>(
    doc: &Document,
    rules: &'r RuleSet,
    model: &Model,
    known: &[LineMatch<'r>],
    rule_ids: bool,
    title: Option<TitleHits>,
) -> Vec<Verdict> {
    // Each block of rows is scored as it is made: the same probabilities as
    // `model.predict` of the whole matrix (the same sums of each row).
    let mut sums = model.row_sums(doc.lines.len());
    let facts = prepare_rows(doc, rules, known, title, |block| sums.add_block(block));
    decide_from_ids(doc, &facts.facts(), model, sums.predict(), rule_ids)
}

/// Decides every line of `doc` from its prepared facts (lets the trainer prepare once and
/// try many models).
pub fn decide(doc: &Document, prepared: &Prepared, model: &Model) -> Vec<Verdict> {
    decide_from(doc, prepared, model, model.predict(&prepared.x1))
}

/// Decides every line from given stage-2 probabilities `p2` (the trainer passes
/// out-of-fold ones to choose the threshold and smoothing penalty); `model` supplies only
/// those two.
pub fn decide_from(
    doc: &Document,
    prepared: &Prepared,
    model: &Model,
    p2: Vec<f32>,
) -> Vec<Verdict> {
    let title_overlap = title_overlaps(prepared);
    let facts = Facts {
        rule: &prepared.rule,
        category: &prepared.category,
        caption: &prepared.caption,
        title_overlap: &title_overlap,
    };
    decide_from_ids(doc, &facts, model, p2, true)
}

/// [`decide_from`], with the rule ids in [`Reason::Rule`] only when `rule_ids` (see
/// [`classify_known_ids`]); nothing decided here reads them.
fn decide_from_ids(
    doc: &Document,
    prepared: &Facts,
    model: &Model,
    mut p2: Vec<f32>,
    rule_ids: bool,
) -> Vec<Verdict> {
    for (p, (r, c)) in p2
        .iter_mut()
        .zip(prepared.rule.iter().zip(prepared.caption))
    {
        if r.is_some() || *c {
            *p = p.min(0.01);
        }
    }
    let keep = model.smooth(&p2);
    // The four per-line vectors walked together (no index, no bounds check per line).
    let mut verdicts: Vec<Verdict> = prepared
        .rule
        .iter()
        .zip(prepared.caption)
        .zip(keep.into_iter().zip(p2))
        .map(|((rule, &caption), (keep, score))| {
            let (keep, reason) = match (rule, caption) {
                (Some(id), _) => {
                    // `String::new()` allocates nothing.
                    let id = if rule_ids {
                        (*id).to_string()
                    } else {
                        String::new()
                    };
                    (false, Reason::Rule(id))
                }
                (None, true) => (false, Reason::Caption),
                (None, false) => (keep, Reason::Classifier),
            };
            Verdict {
                keep,
                reason,
                score,
            }
        })
        .collect();
    debug_assert_eq!(verdicts.len(), doc.lines.len());
    if let Some(h) = mark_headline(doc, prepared, &mut verdicts) {
        // The article starts at its headline: short lines kept above it are teasers,
        // captions or menus (prose above it may be a standfirst: kept).
        for (v, _) in verdicts[..h]
            .iter_mut()
            .zip(&doc.lines)
            .filter(|(v, l)| v.keep && !features::sentence_like(l))
        {
            v.keep = false;
            v.reason = Reason::Layout("before-headline");
        }
    }
    drop_caption_neighbours(doc, prepared, &mut verdicts);
    keep_edge_prose(doc, prepared, &mut verdicts);
    drop_related_links(doc, prepared, &mut verdicts);
    drop_set_apart(doc, &mut verdicts);
    drop_trailing_tags(doc, &mut verdicts);
    drop_comment_thread(doc, prepared, &mut verdicts);
    keep_best_prose_if_empty(doc, &mut verdicts);
    verdicts
}

/// A page with an article yields some text: when every line was dropped, the prose lines
/// the classifier liked best (within a factor of the best one) are kept. A short article
/// among long menus and teasers scores low everywhere, yet it is still the best prose.
fn keep_best_prose_if_empty(doc: &Document, verdicts: &mut [Verdict]) {
    const SHARE_OF_BEST: f32 = 0.33;
    if verdicts.iter().any(|v| v.keep) {
        return;
    }
    let prose: Vec<usize> = (0..verdicts.len())
        .filter(|&i| {
            verdicts[i].reason == Reason::Classifier && features::sentence_like(&doc.lines[i])
        })
        .collect();
    let Some(best) = prose
        .iter()
        .map(|&i| verdicts[i].score)
        .max_by(f32::total_cmp)
    else {
        return;
    };
    for i in prose {
        if verdicts[i].score >= best * SHARE_OF_BEST {
            verdicts[i].keep = true;
            verdicts[i].reason = Reason::Layout("best-prose-of-empty-page");
        }
    }
}

/// Drops the headline (for output of the article body only); its verdict keeps the
/// reason, so `--explain` still shows which line it was.
pub fn drop_headline(verdicts: &mut [Verdict]) {
    for v in verdicts.iter_mut().filter(|v| v.reason == Reason::Headline) {
        v.keep = false;
    }
}

/// A comment thread: a comments line (a rule of that category) after the article has
/// begun, followed by more of them (one header or time stamp per comment). Everything
/// the classifier kept from there on is the thread.
fn drop_comment_thread(doc: &Document, prepared: &Facts, verdicts: &mut [Verdict]) {
    const REACH: usize = 30;
    const MIN_MORE: usize = 2;
    let n = doc.lines.len();
    let is_comment = |j: usize| prepared.category[j] == Some("comments");
    let Some(first_prose) = first_kept_prose(doc, verdicts, 0) else {
        return;
    };
    let Some(start) = (first_prose + 1..n).find(|&c| {
        is_comment(c) && {
            // More than MIN_MORE distinct texts: the first few distinct ones are kept (a
            // linear search among them), and the count stops there.
            let mut texts: Vec<&str> = Vec::with_capacity(MIN_MORE + 1);
            for j in (c..(c + 1 + REACH).min(n)).filter(|&j| is_comment(j)) {
                let t = doc.lines[j].text.as_str();
                if !texts.contains(&t) {
                    texts.push(t);
                    if texts.len() > MIN_MORE {
                        break;
                    }
                }
            }
            texts.len() > MIN_MORE
        }
    }) else {
        return;
    };
    for v in verdicts.iter_mut().skip(start) {
        if v.keep && v.reason == Reason::Classifier {
            v.keep = false;
            v.reason = Reason::Layout("comment-thread");
        }
    }
}

/// The first kept, sentence-like line at or after `from`: where the article body begins.
fn first_kept_prose(doc: &Document, verdicts: &[Verdict], from: usize) -> Option<usize> {
    (from..doc.lines.len()).find(|&i| verdicts[i].keep && features::sentence_like(&doc.lines[i]))
}

/// Picks the headline among the lines just before the article body, marks it, drops its
/// repeats, and returns its index.
fn mark_headline(doc: &Document, prepared: &Facts, verdicts: &mut [Verdict]) -> Option<usize> {
    const LOOKBACK: usize = 15;
    let first_kept = verdicts.iter().position(|v| v.keep)?;
    let body_start = first_kept_prose(doc, verdicts, first_kept).unwrap_or(first_kept);
    // A line's overlap with the title (the first line) is a stage-1 feature: read from what
    // stage 1 was given, not computed again (nor the title's words gathered again).
    let title_overlap = |i: usize| prepared.title_overlap[i];
    let candidate = |i: usize| {
        let l = &doc.lines[i];
        verdicts[i].reason == Reason::Classifier
            && looks_like_headline(l)
            && !features::sentence_like(l)
    };
    // Score the lines around the start of the body: an on-page headline that repeats the
    // page title (the first line) is the surest sign; then title case, a headline's
    // length, no final period, and nearness to the body.
    let score = |i: usize| -> f32 {
        let l = &doc.lines[i];
        let s = &l.stats;
        let mut score = -0.15 * i.abs_diff(body_start) as f32;
        if i > 0 && s.words >= 4 {
            score += 3.0 * title_overlap(i);
        } else if i == 0 {
            score += 0.5;
        }
        if s.words < 4 {
            score -= 1.5;
        }
        if s.capitalized * 2 >= s.words {
            score += 0.5;
        }
        if matches!(l.text.chars().last(), Some('.' | '…' | '。')) {
            score -= 2.0;
        }
        score
    };
    let lo = body_start.saturating_sub(LOOKBACK);
    // Each candidate is scored once (not once per comparison).
    let scored: Vec<(usize, f32)> = (lo..=body_start)
        .chain(std::iter::once(0))
        .filter(|&i| candidate(i))
        .map(|i| (i, score(i)))
        .collect();
    let (h, _) = *scored
        .iter()
        .max_by(|&&(a, sa), &&(b, sb)| sa.total_cmp(&sb).then(b.cmp(&a)))?;
    // A headline is followed by a longer standfirst (dek) more often than the reverse: when
    // the pick has a shorter title-like line right above it, that line is the headline and
    // the pick is the standfirst, which belongs to the article.
    const MIN_STANDFIRST_WORDS: u32 = 15;
    const MIN_HEADLINE_WORDS: u32 = 6;
    let h = if h > 0
        && h > lo
        && candidate(h - 1)
        && doc.lines[h - 1].stats.words >= MIN_HEADLINE_WORDS
        && doc.lines[h].stats.words >= MIN_STANDFIRST_WORDS
        && doc.lines[h - 1].stats.words + 3 <= doc.lines[h].stats.words
    {
        verdicts[h].keep = true;
        verdicts[h].reason = Reason::Layout("standfirst");
        h - 1
    } else {
        h
    };
    verdicts[h].keep = true;
    verdicts[h].reason = Reason::Headline;
    let text = &doc.lines[h].text;
    for (i, line) in doc.lines.iter().enumerate() {
        if i != h && (&line.text == text || (i == 0 && h > 0 && title_overlap(h) >= 0.6)) {
            verdicts[i].keep = false;
            verdicts[i].reason = Reason::HeadlineRepeat;
        }
    }
    Some(h)
}

/// Short, unpunctuated lines right next to a photo credit or a caption are the rest of the
/// caption (a name under a photo) or a related headline printed with the photo. A short
/// sentence glued to a credit, with no blank line between them, is the caption itself.
fn drop_caption_neighbours(doc: &Document, prepared: &Facts, verdicts: &mut [Verdict]) {
    const MAX_WORDS: u32 = 25;
    const MAX_GLUED_SENTENCE_WORDS: u32 = 20;
    let n = doc.lines.len();
    let is_caption = |j: usize| prepared.caption[j] || prepared.category[j] == Some("credit");
    for (i, l) in doc.lines.iter().enumerate() {
        let v = &verdicts[i];
        if !v.keep || v.reason != Reason::Classifier || l.stats.words > MAX_WORDS {
            continue;
        }
        let next_to = (i > 0 && is_caption(i - 1)) || (i + 1 < n && is_caption(i + 1));
        let glued = (i > 0 && is_caption(i - 1) && !l.blank_before)
            || (i + 1 < n && is_caption(i + 1) && !l.blank_after);
        let unpunctuated = !features::sentence_like(l) && l.stats.end != Some(LineEnd::Sentence);
        if (next_to && unpunctuated) || (glued && l.stats.words <= MAX_GLUED_SENTENCE_WORDS) {
            verdicts[i].keep = false;
            verdicts[i].reason = Reason::Layout("caption-neighbour");
        }
    }
}

/// Paragraphs at the edges of the article that the classifier doubted (their neighbours
/// are widgets) are kept when they are plainly prose and nothing but rule-dropped lines or
/// captions separates them from the kept article. A comment section ends the search.
fn keep_edge_prose(doc: &Document, prepared: &Facts, verdicts: &mut [Verdict]) {
    const MIN_WORDS: u32 = 15;
    const MIN_STOPWORDS: f32 = 0.1;
    let Some(first) = verdicts
        .iter()
        .position(|v| v.keep && v.reason == Reason::Classifier)
    else {
        return;
    };
    let last = verdicts
        .iter()
        .rposition(|v| v.keep && v.reason == Reason::Classifier)
        .unwrap_or(first);
    let prose = |l: &Line| {
        features::sentence_like(l)
            && l.stats.words >= MIN_WORDS
            && l.stats.stopword_share >= MIN_STOPWORDS
    };
    // Walk outwards from each end of the kept span, over lines a rule or a caption took.
    let walk = |range: &mut dyn Iterator<Item = usize>, verdicts: &mut [Verdict]| {
        for i in range {
            if prepared.category[i] == Some("comments") {
                return;
            }
            match &verdicts[i].reason {
                Reason::Rule(_) | Reason::Caption | Reason::Layout(_) => continue,
                Reason::Classifier if prose(&doc.lines[i]) => {
                    verdicts[i].keep = true;
                    verdicts[i].reason = Reason::Layout("edge-prose");
                }
                _ => return,
            }
        }
    };
    walk(&mut (last + 1..doc.lines.len()), verdicts);
    walk(&mut (0..first).rev(), verdicts);
}

/// Headlines listed under a "Read also" / "Related" label (the rule-dropped line before
/// them) link elsewhere: up to three title-like lines right after such a label go too.
fn drop_related_links(doc: &Document, prepared: &Facts, verdicts: &mut [Verdict]) {
    const MAX_LINKS: usize = 3;
    const MAX_WORDS: u32 = 25;
    for i in 0..doc.lines.len() {
        if prepared.category[i] != Some("related") {
            continue;
        }
        let end = (i + 1 + MAX_LINKS).min(doc.lines.len());
        for (l, v) in doc.lines[i + 1..end].iter().zip(&mut verdicts[i + 1..end]) {
            let title_like = !features::sentence_like(l)
                && l.stats.end != Some(LineEnd::Sentence)
                && l.stats.words <= MAX_WORDS;
            if !title_like || v.reason != Reason::Classifier {
                break;
            }
            v.keep = false;
            v.reason = Reason::Layout("related-link");
        }
    }
}

/// An unpunctuated line followed by two blank lines, on a page whose paragraphs are
/// otherwise followed by one, is a block of its own inside the article: a related
/// headline or a teaser, not a subheading (which leads into the next paragraph).
fn drop_set_apart(doc: &Document, verdicts: &mut [Verdict]) {
    const MAX_WORDS: u32 = 25;
    // The prose lines and those of them followed by two blank lines, counted in one pass
    // (the lines themselves are not kept).
    let (prose, wide) = doc
        .lines
        .iter()
        .filter(|l| features::sentence_like(l))
        .fold((0usize, 0usize), |(p, w), l| {
            (p + 1, w + usize::from(l.wide_gap_after))
        });
    if prose == 0 || wide * 4 > prose {
        return;
    }
    for (l, v) in doc.lines.iter().zip(verdicts.iter_mut()) {
        if v.keep
            && v.reason == Reason::Classifier
            && l.wide_gap_after
            && l.stats.end != Some(LineEnd::Sentence)
            && l.stats.words <= MAX_WORDS
        {
            v.keep = false;
            v.reason = Reason::Layout("set-apart");
        }
    }
}

/// A comma-separated list of short names after the article's last paragraph is its tag
/// list (`USA, Russia, NATO`).
fn drop_trailing_tags(doc: &Document, verdicts: &mut [Verdict]) {
    let Some(last_prose) = (0..doc.lines.len())
        .rev()
        .find(|&i| verdicts[i].keep && features::sentence_like(&doc.lines[i]))
    else {
        return;
    };
    for (v, l) in verdicts.iter_mut().zip(&doc.lines).skip(last_prose + 1) {
        if v.keep && v.reason == Reason::Classifier && is_name_list(l) {
            v.keep = false;
            v.reason = Reason::Layout("trailing-tags");
        }
    }
}

/// Three or more comma-separated items of one to three words each, without stopwords or
/// sentence punctuation.
fn is_name_list(line: &Line) -> bool {
    let items: Vec<&str> = line.text.split([',', '，', '、']).map(str::trim).collect();
    items.len() >= 3
        && line.stats.stopword_share == 0.0
        && line.stats.end == Some(LineEnd::Alnum)
        && items
            .iter()
            .all(|it| (1..=3).contains(&it.split_whitespace().count()))
}

fn looks_like_headline(line: &Line) -> bool {
    let s = &line.stats;
    (2..=40).contains(&s.words)
        && s.inner_sentences == 0
        && !s.copyright
        && !s.link
        && s.end != Some(LineEnd::Colon)
        && s.letters * 2 > s.chars
}

/// The fewest bytes of a caption's core that [`repeated_captions_with`] looks for (or in)
/// another line.
const CAPTION_MIN_CHARS: usize = 25;

/// The fewest words of a line whose ` - Source` suffix [`mark_attributed_captions`] counts.
const ATTRIBUTED_MIN_WORDS: u32 = 6;

/// Lines of at least a few words whose text (without a trailing ` - Source`) stands
/// inside a longer line at most three lines away: captions printed twice (alt text, then
/// the figcaption with a credit or source glued on).
#[cfg(test)]
fn repeated_captions(lines: &[Line]) -> Vec<bool> {
    let cores: Vec<&str> = lines.iter().map(|l| strip_source_suffix(&l.text)).collect();
    repeated_captions_with(lines, &cores)
}

/// `repeated_captions` (the tests' entry) given each line's [`strip_source_suffix`], computed once.
fn repeated_captions_with(lines: &[Line], cores: &[&str]) -> Vec<bool> {
    const RADIUS: usize = 3;
    let mut out = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let core = cores[i];
        if core.len() < CAPTION_MIN_CHARS || line.stats.words < 4 || line.stats.words > 80 {
            continue;
        }
        let lo = i.saturating_sub(RADIUS);
        let hi = (i + RADIUS + 1).min(lines.len());
        for j in lo..hi {
            let (other, other_core) = (&lines[j], cores[j]);
            // The two searches' length tests, each worked out whole (`&`, not `&&`: the
            // lengths of neighbours are at random, and a branch on each test was often
            // mispredicted); one branch then skips the neighbour that needs no search.
            let holds_core = other.text.len() > core.len();
            let in_core = (other_core.len() >= CAPTION_MIN_CHARS)
                & (other_core.len() < line.text.len())
                & (other_core.len() <= core.len())
                // (Wrapping: where the other core is the longer, the test before fails.)
                & (line.text.len().wrapping_sub(other_core.len()) < 60);
            if !(holds_core | in_core) || j == i || other.text == line.text {
                continue;
            }
            if (holds_core && contains_long(&other.text, core))
                || (in_core && contains_long(core, other_core))
            {
                // Only the contained copy: the longer line may be the article's own
                // sentence that a caption quotes; credits glued to it are the rules' job.
                out[i] = true;
                break;
            }
        }
    }
    out
}

/// Marks in `caption` the lines that end with the same ` - Source Name` as another line of
/// the page (not the page title): captions credited to the photo agency or the site,
/// however many.
fn mark_attributed_captions<'a>(lines: &'a [Line], cores: &[&str], caption: &mut [bool]) {
    // The suffix of a line given its core, without its separator (worked out again for the
    // marking, not kept in a vector: few lines have one).
    let suffix = |l: &'a Line, core: &str| {
        (core.len() < l.text.len() && l.stats.words >= ATTRIBUTED_MIN_WORDS)
            .then(|| l.text[core.len()..].trim_start_matches([' ', '-', '–', '—', '|']))
    };
    // The lines after the title with their cores, walked together (no bounds check each).
    let rest = || lines.iter().zip(cores).skip(1);
    let mut counts: HashMap<&str, usize, FxBuild> = HashMap::default();
    for s in rest().filter_map(|(l, core)| suffix(l, core)) {
        *counts.entry(s).or_insert(0) += 1;
    }
    // Most pages have no suffix twice: nothing to mark.
    if counts.values().all(|&c| c < 2) {
        return;
    }
    for (c, (l, core)) in caption.iter_mut().skip(1).zip(rest()) {
        *c |= suffix(l, core).is_some_and(|s| counts[s] >= 2);
    }
}

/// `text` without a trailing ` - Source Name` (a short, dash-separated attribution).
fn strip_source_suffix(text: &str) -> &str {
    const MAX_TAIL_WORDS: usize = 4;
    // Only the last occurrence of a separator counts, and only when at most four words
    // follow it; the words after a position only grow leftwards, so the search is confined
    // to the last four words (and the separator before them), not the whole line.
    let bytes = text.as_bytes();
    // Most lines have no spaced dash or bar near their end: none in the window from five
    // bytes before the end of the fifth-last word rules out all four separators (each has
    // its `-`, `|`, `–` or `—` within four bytes of its start). Many lines have none there,
    // found sixteen bytes at a time (`last_separator_byte`, which stops once five words
    // are behind it).
    let Some(last_separator) = last_separator_byte(bytes, MAX_TAIL_WORDS + 1) else {
        return text;
    };
    let end_of_fifth_last = end_of_nth_last_word(text, MAX_TAIL_WORDS + 1);
    if end_of_fifth_last.is_some_and(|e| last_separator < e.saturating_sub(5)) {
        return text;
    }
    for sep in [" - ", " – ", " — ", " | "] {
        let from = end_of_fifth_last.map_or(0, |e| e.saturating_sub(sep.len()));
        if let Some(pos) = rfind_bytes(&bytes[from..], sep.as_bytes()).map(|p| p + from) {
            let tail = &text[pos + sep.len()..];
            if !tail.is_empty() && tail.split_whitespace().count() <= MAX_TAIL_WORDS && pos > 0 {
                return text[..pos].trim_end();
            }
        }
    }
    text
}

/// Whether one of [`strip_source_suffix`]'s separators (` - `, ` – `, ` — `, ` | `) has its
/// distinctive part at `p`: `-`, `|`, or the start of `–` or `—` (E2 80 93/94; other
/// characters beginning with 0xE2, such as curly quotes, are not), with a space on either
/// side. A hyphen inside a word or a curly quote does not count: most lines that have one
/// have no separator, and need not look for the end of their fifth-last word.
fn is_separator_at(bytes: &[u8], p: usize) -> bool {
    let len = match bytes[p] {
        b'-' | b'|' => 1,
        0xE2 if bytes.get(p + 1) == Some(&0x80)
            && matches!(bytes.get(p + 2), Some(0x93 | 0x94)) =>
        {
            3
        }
        _ => return false,
    };
    p > 0 && bytes[p - 1] == b' ' && bytes.get(p + len) == Some(&b' ')
}

/// The last position of [`is_separator_at`] in `bytes` that may lie in the tail of its
/// last `words` words, or `None`. A separator before `e - 5`, where `e` is the end of the
/// `words`-th last word, may go unfound ([`strip_source_suffix`] ignores it): a long line
/// is read from its end only until that many words are surely behind (or the separator
/// found), not to its start. Sixteen bytes at a time where SSE2 is at hand, then eight at
/// a time (a zero-byte test of each XOR, which may flag too much but never too little),
/// the flagged bytes checked one by one.
fn last_separator_byte(bytes: &[u8], words: usize) -> Option<usize> {
    let mut end = bytes.len();
    // Sixteen bytes at a time first, their flags exact.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use crate::swar::eq_mask16;
        // Words that surely lie in `end..`: an ASCII letter or digit after a space starts
        // a word of `split_whitespace` (whitespace of other kinds, or a word starting
        // with another character, is not counted: the count is never too high).
        let mut behind = 0;
        while end >= 16 {
            let block: &[u8; 16] = bytes[end - 16..end].try_into().expect("sixteen bytes");
            let mut flags = separator_byte_mask(block);
            while flags != 0 {
                let k = 31 - flags.leading_zeros();
                let p = end - 16 + k as usize;
                if is_separator_at(bytes, p) {
                    return Some(p);
                }
                flags &= !(1 << k);
            }
            end -= 16;
            let (alnum, _) = ascii_alnum_mask16(block);
            let starts = alnum & (eq_mask16(block, b' ') << 1);
            // Counted by a table of bytes (`count16`: SSE2 has no population count).
            behind += crate::swar::count16(starts) as usize;
            if behind >= words {
                // Those words each hold a byte past `end` (bit 0 never counts), so the
                // `words`-th last ends at `end + 2` or later: of the bytes before `end`,
                // only the last three can begin a separator that counts.
                return (end.saturating_sub(3)..end)
                    .rev()
                    .find(|&p| is_separator_at(bytes, p));
            }
        }
    }
    // The eight-byte steps read on to the start (short lines, other targets).
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    let _ = words;
    while end >= 8 {
        let v = u64::from_ne_bytes(bytes[end - 8..end].try_into().expect("eight bytes"));
        if maybe_zero_bytes(v ^ (ONES * u64::from(b'-')))
            | maybe_zero_bytes(v ^ (ONES * u64::from(b'|')))
            | maybe_zero_bytes(v ^ (ONES * 0xE2))
            != 0
        {
            if let Some(p) = (end - 8..end).rev().find(|&p| is_separator_at(bytes, p)) {
                return Some(p);
            }
        }
        end -= 8;
    }
    (0..end).rev().find(|&p| is_separator_at(bytes, p))
}

/// The bytes of `block` that may begin a separator (`-`, `|`, 0xE2), one bit each (bit `k`
/// for byte `k`).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn separator_byte_mask(block: &[u8; 16]) -> u32 {
    use crate::swar::eq_mask16;
    eq_mask16(block, b'-') | eq_mask16(block, b'|') | eq_mask16(block, 0xE2)
}

/// The byte offset where the `n`-th word from the end (as `split_whitespace` counts words)
/// ends, or `None` when `text` has fewer words.
fn end_of_nth_last_word(text: &str, n: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut words = 0;
    let mut in_word = false;
    // `end` is where the character before it ends; walked backwards a character at a
    // time, ASCII ones without decoding.
    let mut end = bytes.len();
    while end > 0 {
        let last = bytes[end - 1];
        let (start, space) = if last.is_ascii() {
            (end - 1, crate::rules::is_space_byte(last))
        } else {
            let mut start = end - 1;
            while bytes[start] & 0xC0 == 0x80 {
                start -= 1;
            }
            let c = text[start..end].chars().next().expect("a char ends here");
            (start, c.is_whitespace())
        };
        if space {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
            if words == n {
                return Some(end);
            }
        }
        end = start;
    }
    None
}

/// The last position of `needle` in `hay`, as `str::rfind` gives it: a plain backward scan,
/// cheaper than the two-way searcher's set-up for these short needles and lines.
fn rfind_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let last = hay.len().checked_sub(needle.len())?;
    (0..=last)
        .rev()
        .find(|&i| hay[i] == needle[0] && hay[i..].starts_with(needle))
}

/// `hay.contains(needle)` for needles of a caption's length: most neighbouring lines do not
/// even hold the needle's first eight bytes. The occurrences of its first byte are found
/// eight bytes at a time (a zero-byte test whose lowest flag is always a true match), and
/// each is checked against those eight bytes before the whole needle, so the two-way
/// searcher's set-up (linear in the needle) is never paid. With SSE2, sixteen positions are
/// tested at once first, for the needle's first and eighth bytes (`pair_mask`).
// Inlined into `repeated_captions_with`: most calls end after one or two steps, and the
// call's own set-up was a third of their cost (measured under fat LTO).
#[inline(always)]
fn contains_long(hay: &str, needle: &str) -> bool {
    const ANCHOR: usize = 8;
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return false;
    }
    if n.len() < ANCHOR {
        return hay.contains(needle);
    }
    let word =
        |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + ANCHOR].try_into().expect("eight bytes"));
    let anchor = word(n, 0);
    let first = ONES * u64::from(n[0]);
    // The needle fits at positions up to here (and eight bytes can be read from each).
    let last_start = h.len() - n.len();
    let mut i = 0;
    // Sixteen positions at a time where the hay holds sixteen more bytes past the anchor's
    // last: those with the needle's first byte there and its eighth seven bytes on (fewer
    // candidates than the first byte alone, at about a quarter of the instructions a byte
    // of the eight-byte words below). Two such blocks at a time first, their masks joined:
    // most hold no candidate, and a pair of them then costs one test and one step.
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    for step in [32, 16] {
        while i <= last_start {
            // The bytes the positions' pairs are in, checked once (not once for each load).
            let Some(window) = h.get(i..i + ANCHOR - 1 + step) else {
                break;
            };
            let pairs = |at: usize| {
                let w = window[at..at + ANCHOR - 1 + 16]
                    .try_into()
                    .expect("23 bytes");
                pair_mask(w, n[0], n[ANCHOR - 1])
            };
            let mut mask = if step == 32 {
                pairs(0) | pairs(16) << 16
            } else {
                pairs(0)
            };
            while mask != 0 {
                let at = i + mask.trailing_zeros() as usize;
                if at > last_start {
                    return false;
                }
                if word(h, at) == anchor && h[at..].starts_with(n) {
                    return true;
                }
                mask &= mask - 1;
            }
            i += step;
        }
    }
    while i <= last_start {
        let at = if i + ANCHOR <= h.len() {
            let v = word(h, i) ^ first;
            let flags = maybe_zero_bytes(v);
            if flags == 0 {
                i += ANCHOR;
                continue;
            }
            i + (flags.trailing_zeros() / 8) as usize
        } else if h[i] == n[0] {
            i
        } else {
            i += 1;
            continue;
        };
        if at > last_start {
            return false;
        }
        if word(h, at) == anchor && h[at..].starts_with(n) {
            return true;
        }
        i = at + 1;
    }
    false
}

/// Bit `k` (`k < 16`) is set where `window[k] == a` and `window[k + 7] == b` (the window
/// is sixteen positions and the seven bytes past the last).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn pair_mask(window: &[u8; 23], a: u8, b: u8) -> u32 {
    use crate::swar::eq_mask16;
    let x: &[u8; 16] = window[..16].try_into().expect("sixteen bytes");
    let y: &[u8; 16] = window[7..].try_into().expect("sixteen bytes");
    eq_mask16(x, a) & eq_mask16(y, b)
}

/// Lowercased words of a title: their texts one after another in one buffer, not a
/// `String` each (the title of every document is split into one).
#[derive(Debug, Default, Clone)]
struct TitleText {
    /// The lowercased words, back to back.
    text: String,
    /// Where each word is in `text`, in the order of the title (a word may be there twice).
    spans: Vec<(usize, usize)>,
}

impl TitleText {
    /// The words.
    fn words(&self) -> impl Iterator<Item = &str> {
        self.spans
            .iter()
            .map(|&(start, end)| &self.text[start..end])
    }

    /// Whether `w` is one of the words.
    #[cfg(test)]
    fn contains(&self, w: &str) -> bool {
        self.words().any(|x| x == w)
    }
}

/// Lowercases `w` into `buf` exactly as `str::to_lowercase` does, without allocating for
/// ASCII words (most of them).
fn lowercase_into<'a>(w: &str, buf: &'a mut String) -> &'a str {
    buf.clear();
    if w.is_ascii() {
        buf.push_str(w);
        buf.make_ascii_lowercase();
        return buf;
    }
    // Out of line: the callers' loops keep their registers for the common ASCII words.
    #[inline(never)]
    fn wide(w: &str, buf: &mut String) {
        // Character by character, as `str::to_lowercase` does for every character but a
        // capital sigma (whose lowercase depends on its neighbours): that word is left to
        // it. The scripts most words here are in are mapped without the case table.
        for c in w.chars() {
            match c {
                'Σ' => {
                    buf.clear();
                    buf.push_str(&w.to_lowercase());
                    break;
                }
                _ if c.is_ascii() => buf.push(c.to_ascii_lowercase()),
                _ => match crate::chars::known(c) {
                    Some(k) => buf.push(k.lower),
                    None => buf.extend(c.to_lowercase()),
                },
            }
        }
    }
    wide(w, buf);
    buf
}

/// Lowercased words of `text`.
fn title_text(text: &str) -> TitleText {
    // A word and the separator after it take five or six bytes in most titles: room for a
    // word every four bytes holds all but the densest without growing the list.
    let mut set = TitleText {
        text: String::with_capacity(text.len()),
        spans: Vec::with_capacity(text.len() / 4 + 1),
    };
    // An ASCII title (most) is split a byte at a time: its letters and digits are the
    // ASCII ones, and no character need be decoded.
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            let from = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let start = set.text.len();
            set.text.push_str(&text[from..i]);
            set.text[start..].make_ascii_lowercase();
            set.spans.push((start, set.text.len()));
        }
        return set;
    }
    let mut buf = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        let start = set.text.len();
        // `to_lowercase` is slow even on ASCII words, where it is `to_ascii_lowercase`.
        if w.is_ascii() {
            set.text.push_str(w);
            set.text[start..].make_ascii_lowercase();
        } else {
            set.text.push_str(lowercase_into(w, &mut buf));
        }
        set.spans.push((start, set.text.len()));
    }
    set
}

/// Share of the words of `text` that are in `set`.
#[cfg(test)]
fn overlap(text: &str, set: &TitleText) -> f32 {
    overlap_with(text, &TitleWords::of(set.clone()), &mut Scratch::default())
}

/// Slots of [`TitleWords`].
const TITLE_SLOTS: usize = 256;

/// The words of a [`TitleText`] grouped by a hash of (length, first byte, last byte): a word
/// of a line is looked up by comparing it with the one or two title words of its slot
/// (most slots are empty, which rules most words out at once), and an ASCII word of up to
/// eight bytes by its short key in a table of those keys.
struct TitleWords {
    /// The title's words (owned, so that segment can hold the set while it reads the
    /// other lines: see [`TitleFilter`]).
    set: TitleText,
    /// Where the words are in `set.text`, each once, ordered by slot.
    words: Vec<(usize, usize)>,
    /// The [`TitleWords::short_key`]s of the ASCII words of up to eight bytes, in an open
    /// addressing table (0 for an empty place; no key is 0) with at least half its places
    /// empty: an ASCII word is looked up by its key alone, with no slot to work out.
    short: Vec<u64>,
    /// Every key of `short` is in its first place or the next one (as nearly always, the
    /// table being made larger until so, up to a bound): a lookup reads both places with
    /// no branch on what it finds, instead of a probe loop.
    short_near: bool,
    /// Where each slot's words begin in `words` (and, at `slot + 1`, end).
    start: [u32; TITLE_SLOTS + 1],
    /// A first filter, cheaper than the slot: for each [`TitleWords::first_key`], the
    /// lengths (modulo 64) of the title words it begins, one bit each.
    lengths_by_first: [u64; 64],
}

impl TitleWords {
    fn of(set: TitleText) -> TitleWords {
        // Sized once for all the words (not grown as the filter lets them through).
        // Each with its span: `set` moves into the result.
        let mut words: Vec<(usize, &str, (usize, usize))> = Vec::with_capacity(set.spans.len());
        words.extend(
            set.words()
                .zip(&set.spans)
                .filter(|(w, _)| !w.is_empty())
                .map(|(w, &span)| (Self::slot_of(w.as_bytes()), w, span)),
        );
        // Each word once, as in a set: a slot's list is searched for a word.
        words.sort_unstable();
        words.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
        let mut start = [0u32; TITLE_SLOTS + 1];
        for &(k, _, _) in &words {
            start[k + 1] += 1;
        }
        for k in 0..TITLE_SLOTS {
            start[k + 1] += start[k];
        }
        let mut lengths_by_first = [0u64; 64];
        for &(_, w, _) in &words {
            lengths_by_first[Self::first_key(w.as_bytes()[0])] |= Self::length_bit(w.len());
        }
        // Only ASCII words: only ASCII words of a line are looked up by their keys.
        let mut keys: Vec<u64> = Vec::with_capacity(words.len());
        keys.extend(
            words
                .iter()
                .filter(|(_, w, _)| w.len() <= 8 && w.is_ascii())
                .map(|(_, w, _)| Self::short_key(w.as_bytes())),
        );
        let least = (2 * keys.len()).next_power_of_two().max(8);
        // Doubled at most twice (a title has few words: the table stays small); a key
        // further than the next place after that leaves the lookup to the probe loop.
        let (mut short, mut far) = Self::short_table(&keys, least);
        for len in [2 * least, 4 * least] {
            if far <= 1 {
                break;
            }
            (short, far) = Self::short_table(&keys, len);
        }
        let words = words.into_iter().map(|(_, _, span)| span).collect();
        TitleWords {
            set,
            short,
            short_near: far <= 1,
            words,
            start,
            lengths_by_first,
        }
    }

    /// An open addressing table of `len` places (a power of two, at least twice as many as
    /// `keys`, so that probes end) holding `keys`, and how far the furthest key is from its
    /// first place.
    fn short_table(keys: &[u64], len: usize) -> (Vec<u64>, usize) {
        let mut short = vec![0u64; len];
        let mut far = 0;
        for &key in keys {
            let mut h = Self::short_place(key, len);
            let mut d = 0;
            while short[h] != 0 && short[h] != key {
                h = (h + 1) & (len - 1);
                d += 1;
            }
            short[h] = key;
            far = far.max(d);
        }
        (short, far)
    }

    /// A key of a word's first byte that is the same for an ASCII byte and its lowercase
    /// (several bytes share a key: a filter only).
    fn first_key(b: u8) -> usize {
        usize::from((b | 0x20) & 63)
    }

    fn length_bit(len: usize) -> u64 {
        // Modulo 64: a filter only needs no false "absent", and build and lookup agree.
        1 << (len & 63)
    }

    fn slot(len: usize, first: u8, last: u8) -> usize {
        let h = (len as u32) ^ (u32::from(first) << 8) ^ (u32::from(last) << 16);
        (h.wrapping_mul(0x9e37_79b1) >> 24) as usize
    }

    fn slot_of(w: &[u8]) -> usize {
        Self::slot(w.len(), w[0], w[w.len() - 1])
    }

    /// The words of slot `k`.
    fn in_slot(&self, k: usize) -> impl Iterator<Item = &str> {
        self.words[self.start[k] as usize..self.start[k + 1] as usize]
            .iter()
            .map(|&(from, to)| &self.set.text[from..to])
    }

    /// Whether the lowercase form of the ASCII word `w` is a title word (title words hold
    /// no ASCII capitals, so an ASCII-case-blind comparison is a comparison with the
    /// lowercased word).
    #[inline(always)]
    fn holds_ascii(&self, w: &[u8]) -> bool {
        self.may_hold_ascii(w[0], w.len()) && self.holds_ascii_in_slot(w)
    }

    /// [`TitleWords::holds_ascii`]'s first filter, of a word's first byte and length (most
    /// words of a line begin with another letter or have another length than the title
    /// words do): false rules the word out.
    #[inline(always)]
    fn may_hold_ascii(&self, first: u8, len: usize) -> bool {
        self.lengths_by_first[Self::first_key(first)] & Self::length_bit(len) != 0
    }

    /// [`TitleWords::holds_ascii`] after its first filter: a word of up to eight bytes by
    /// its short key, a longer one in its slot (not inlined: most words do not get here).
    #[inline(never)]
    fn holds_ascii_in_slot(&self, w: &[u8]) -> bool {
        if w.len() <= 8 {
            return self.holds_short(Self::short_key(w));
        }
        self.holds_in_slot(w)
    }

    /// Whether `key`, the [`TitleWords::short_key`] of an ASCII word, is in `short`.
    #[inline(always)]
    fn holds_short(&self, key: u64) -> bool {
        let mask = self.short.len() - 1;
        let mut h = Self::short_place(key, self.short.len());
        if self.short_near {
            // Both places read and compared whatever the first holds (a hit or a miss is
            // a coin toss to the branch predictor).
            return (self.short[h] == key) | (self.short[(h + 1) & mask] == key);
        }
        // The table has empty places: the probe ends.
        loop {
            let k = self.short[h];
            if k == key {
                return true;
            }
            if k == 0 {
                return false;
            }
            h = (h + 1) & mask;
        }
    }

    /// Whether a title word in the slot of `w` lowercased as ASCII is `w` but for the case of
    /// its ASCII letters.
    #[inline(always)]
    fn holds_in_slot(&self, w: &[u8]) -> bool {
        let k = Self::slot(
            w.len(),
            w[0].to_ascii_lowercase(),
            w[w.len() - 1].to_ascii_lowercase(),
        );
        self.in_slot(k)
            .any(|t| t.as_bytes().eq_ignore_ascii_case(w))
    }

    /// Where the search for a short key begins in a table of `len` places (a power of two).
    #[inline(always)]
    fn short_place(key: u64, len: usize) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & (len - 1)
    }

    /// A word of up to eight bytes as a number, each byte `| 0x20` (the lowercase of an
    /// ASCII letter or digit; a byte outside ASCII stays outside): two such words, one of
    /// ASCII letters and digits, are the same lowercased when their keys are equal (no
    /// word holds NUL, so the lengths agree too). Longer words are 0, never compared.
    fn short_key(w: &[u8]) -> u64 {
        // Loaded whole (not a byte at a time), each byte then `| 0x20`.
        let len = w.len();
        let v = match len {
            0 | 9.. => return 0,
            8 => u64::from_le_bytes(w.try_into().expect("eight bytes")),
            _ => tail_word(w, len),
        };
        v | (ONES * 0x20) >> (8 * (8 - len))
    }

    /// [`TitleWords::short_key`] of the ASCII word `bytes[s..e]` (one to eight bytes) with
    /// one load and no branch on its length where `bytes` has eight: the eight bytes from
    /// `s`, or the last eight of `bytes` when fewer follow `s` (they still hold the word).
    #[inline(always)]
    fn short_key_at(bytes: &[u8], s: usize, e: usize) -> u64 {
        let len = e - s;
        debug_assert!((1..=8).contains(&len), "{len}");
        let v = match bytes.len().checked_sub(8) {
            Some(last) => {
                let p = s.min(last);
                let eight = u64::from_le_bytes(bytes[p..p + 8].try_into().expect("eight bytes"));
                (eight >> (8 * (s - p))) & (!0u64 >> (64 - 8 * len))
            }
            None => tail_word(&bytes[..e], len),
        };
        v | (ONES * 0x20) >> (8 * (8 - len))
    }

    /// Whether the word `w`, whose characters outside ASCII are all their own lowercase
    /// (see [`Scratch::describe`]), is a title word: its lowercase is then `w` with its
    /// ASCII letters lowercased, of the same length and in the same slot, so the filter and
    /// slot of [`TitleWords::holds_ascii`] apply; its bytes are compared whole (the short
    /// keys are exact for ASCII words only).
    fn holds_caseless(&self, w: &[u8]) -> bool {
        self.may_hold_ascii(w[0], w.len()) && self.holds_in_slot(w)
    }

    /// Whether the word `w` is a title word, as [`overlap_with`] looks it up: `wide`, it
    /// has a character outside ASCII; `cased`, one of those is not its own lowercase. Such
    /// a word is lowercased as a string (in `buf`), any other compared as bytes
    /// (ASCII-case-blind, as the bytes of its lowercase).
    #[inline(always)]
    fn holds_word(&self, w: &str, wide: bool, cased: bool, buf: &mut String) -> bool {
        if cased {
            self.holds(lowercase_into(w, buf))
        } else if wide {
            self.holds_caseless(w.as_bytes())
        } else {
            self.holds_ascii(w.as_bytes())
        }
    }

    /// Whether the (already lowercased, non-empty) word `w` is a title word.
    fn holds(&self, w: &str) -> bool {
        self.in_slot(Self::slot_of(w.as_bytes())).any(|t| t == w)
    }
}

/// Scratch space of [`overlap_with`], reused across the lines of a document.
struct Scratch {
    /// A lowercased word.
    buf: String,
    /// [`Scratch::describe`] of recently seen non-ASCII characters (direct-mapped by the
    /// low bits; a page uses few distinct ones, and the Unicode table lookups are slow).
    described: [(char, Described); 256],
}

/// What [`overlap_with`] needs of a character outside ASCII.
#[derive(Clone, Copy, Default)]
struct Described {
    /// `char::is_alphanumeric`.
    alnum: bool,
    /// Its lowercase is not the character itself: a word holding it is lowercased as a
    /// string before the lookup (most letters of a line are lowercase already).
    cased: bool,
}

impl Default for Scratch {
    fn default() -> Self {
        // NUL is ASCII, never looked up here: every slot starts as a miss.
        Scratch {
            buf: String::new(),
            described: [('\0', Described::default()); 256],
        }
    }
}

impl Scratch {
    /// Whether `c` is alphanumeric, and whether its lowercase differs from it.
    fn describe(&mut self, c: char) -> Described {
        if let Some(k) = crate::chars::known(c) {
            return Described {
                alnum: k.alnum,
                cased: k.lower != c,
            };
        }
        let slot = &mut self.described[c as usize & 255];
        if slot.0 != c {
            let d = Described {
                alnum: c.is_alphanumeric(),
                cased: !c.to_lowercase().eq([c]),
            };
            *slot = (c, d);
        }
        slot.1
    }
}

/// A long line is judged by its start: [`overlap_with`] reads `OVERLAP_MAX_WORDS + 1` words
/// of it at most ([`Overlap::add`] stops past this many).
const OVERLAP_MAX_WORDS: u32 = 40;

/// The words [`overlap_with`] has read so far and how many of them are title words.
#[derive(Default)]
struct Overlap {
    total: u32,
    found: u32,
}

impl Overlap {
    /// Counts a word; whether enough words are read.
    fn add(&mut self, hit: bool) -> bool {
        self.total += 1;
        self.found += u32::from(hit);
        self.total > OVERLAP_MAX_WORDS
    }

    fn share(&self) -> f32 {
        if self.total == 0 {
            0.0
        } else {
            self.found as f32 / self.total as f32
        }
    }
}

/// The title's words as segment's [`WordFilter`]: segment shows it the first
/// `OVERLAP_MAX_WORDS + 1` words of each line as it finds them (the words
/// [`overlap_with`] reads, lowercased by the same rules), and it takes the title words.
pub(crate) struct TitleFilter {
    words: TitleWords,
    scratch: Scratch,
}

impl TitleFilter {
    /// The filter of the title `first` (a document's first line).
    pub(crate) fn of(first: &str) -> TitleFilter {
        TitleFilter {
            words: TitleWords::of(title_text(first)),
            scratch: Scratch::default(),
        }
    }
}

impl WordFilter for TitleFilter {
    const READS: bool = true;

    fn words_per_line(&self) -> u32 {
        // An empty title overlaps no line (nothing to count).
        if self.words.words.is_empty() {
            0
        } else {
            OVERLAP_MAX_WORDS + 1
        }
    }

    /// As [`overlap_with`] looks up a short ASCII word (its key is [`TitleWords::short_key`]'s).
    #[inline(always)]
    fn take_key(&self, key: u64) -> bool {
        self.words.holds_short(key)
    }

    fn take_ascii(&self, w: &[u8]) -> bool {
        self.words.holds_ascii(w)
    }

    /// As [`overlap_with`] looks up a word with a letter or digit outside ASCII: lowercased
    /// as a string when one of its characters is not its own lowercase, else compared as
    /// bytes.
    fn take_other(&mut self, w: &str) -> bool {
        let scratch = &mut self.scratch;
        let cased = w
            .chars()
            .any(|c| !c.is_ascii() && scratch.describe(c).cased);
        self.words.holds_word(w, true, cased, &mut scratch.buf)
    }
}

/// A document's [`TitleFilter`] and, for each of its lines, how many of the line's first
/// `OVERLAP_MAX_WORDS + 1` words are title words (or [`UNREAD`]), as segment counted them
/// (`segment::segment_terminated_filtered`).
pub(crate) struct TitleHits {
    filter: TitleFilter,
    /// One count a line of the document the filter was made for; empty when nothing was
    /// counted (each line's overlap is then [`overlap_with`]'s).
    hits: Vec<u8>,
}

impl TitleHits {
    /// The filter and counts of a document's lines, from segment.
    pub(crate) fn new(filter: TitleFilter, hits: Vec<u8>) -> TitleHits {
        TitleHits { filter, hits }
    }

    /// The counts of the lines that `keep` keeps, in order, for the document of those
    /// lines: `None` when it drops the first (the title is then another line).
    pub(crate) fn retain(mut self, keep: impl IntoIterator<Item = bool>) -> Option<TitleHits> {
        let mut keep = keep.into_iter();
        let mut first = true;
        let mut kept_first = false;
        self.hits.retain(|_| {
            let k = keep.next().unwrap_or(false);
            if std::mem::take(&mut first) {
                kept_first = k;
            }
            k
        });
        kept_first.then_some(self)
    }

    /// The title overlap of line `i`, `line`: from the count segment made when there is one,
    /// else read by [`overlap_with`] (the same value: `OVERLAP_MAX_WORDS + 1` words at most).
    #[inline(always)]
    fn overlap(&mut self, i: usize, line: &Line) -> f32 {
        match self.hits.get(i) {
            Some(&found) if found != UNREAD => {
                // An empty title takes no word (0.0, as `overlap_with` answers).
                let share = Overlap {
                    total: line.stats.words.min(OVERLAP_MAX_WORDS + 1),
                    found: u32::from(found),
                }
                .share();
                debug_assert_eq!(
                    share.to_bits(),
                    overlap_with(&line.text, &self.filter.words, &mut self.filter.scratch)
                        .to_bits(),
                    "{:?}",
                    line.text
                );
                share
            }
            _ => overlap_with(&line.text, &self.filter.words, &mut self.filter.scratch),
        }
    }
}

/// Share of the words of `text` that are in `set` (the title's words), with scratch space
/// made once for all lines.
///
/// The words are found 64 bytes at a time: a mask of the bytes of letters and digits (one
/// bit a byte, from SSE2 compares of sixteen bytes where at hand), completed with the
/// characters outside ASCII, each decoded once and its bytes marked as a letter or not.
/// Words are then pairs of a start bit and an end bit, so a byte costs a few instructions
/// whatever its class, and a line with a curly quote does not go a byte at a time.
// Out of line: under fat LTO it was inlined into stage 1's first pass (through the
// line-context closure) and crowded that loop's registers (measured).
#[inline(never)]
fn overlap_with(text: &str, set: &TitleWords, scratch: &mut Scratch) -> f32 {
    if set.words.is_empty() {
        return 0.0;
    }
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut count = Overlap::default();
    // The word open before the block (its start), whether it holds a character outside
    // ASCII, and whether one of those is not its own lowercase.
    let (mut open, mut open_wide, mut open_cased) = (None::<usize>, false, false);
    // The bytes of a character outside ASCII that began in the previous block and run
    // into this one (its first bits), and what it is.
    let (mut spill, mut spill_is) = (0u64, Described::default());
    // Looks up word `start..end` (`TitleWords::holds_word`); whether enough words are read.
    #[inline(always)]
    fn word(
        text: &str,
        (start, end): (usize, usize),
        (wide, cased): (bool, bool),
        set: &TitleWords,
        scratch: &mut Scratch,
        count: &mut Overlap,
    ) -> bool {
        count.add(set.holds_word(&text[start..end], wide, cased, &mut scratch.buf))
    }
    let mut at = 0;
    while at < n {
        let (mut alnum, high) = block_masks(bytes, at);
        // Bits of the characters outside ASCII that are letters or digits, and of those
        // whose lowercase is another character.
        let (mut wide, mut cased) = (0u64, 0u64);
        if high | spill != 0 {
            if spill_is.alnum {
                alnum |= spill;
                wide |= spill;
                if spill_is.cased {
                    cased |= spill;
                }
            }
            // The first byte of each character outside ASCII in the block.
            let mut leads = high & !spill;
            spill = 0;
            while leads != 0 {
                let k = leads.trailing_zeros() as usize;
                let c = text[at + k..].chars().next().expect("a char starts here");
                let bits = ((1u128 << c.len_utf8()) - 1) << k;
                let (inside, after) = (bits as u64, (bits >> 64) as u64);
                let is = scratch.describe(c);
                if is.alnum {
                    alnum |= inside;
                    wide |= inside;
                    if is.cased {
                        cased |= inside;
                    }
                }
                (spill, spill_is) = (after, is);
                leads &= !inside;
            }
        }
        // A start is a letter or digit after another byte (or the open word's end); an
        // end, another byte after a letter or digit. Past the end of the line the mask is
        // 0, so the line's last word ends in its block unless the line ends at the block's
        // last byte (then the tail after the loop looks it up).
        // (The start/end pairing is `swar::BlockWords`' on 64 bits, written out here for
        // the early return at enough words and the tracking of characters outside ASCII.)
        let before = (alnum << 1) | u64::from(open.is_some());
        let (mut starts, mut ends) = (alnum & !before, !alnum & before);
        if ends != 0 {
            if let Some(start) = open.take() {
                let e = ends.trailing_zeros();
                let before_end = (1u64 << e) - 1;
                let w = (
                    open_wide || wide & before_end != 0,
                    open_cased || cased & before_end != 0,
                );
                if word(text, (start, at + e as usize), w, set, scratch, &mut count) {
                    return count.share();
                }
                ends &= ends - 1;
            }
            // The other words start in this block; starts and ends alternate. Most blocks
            // are ASCII: their words are looked up as bytes, with no test of each.
            if wide == 0 {
                // Each word lies in the block, shorter than 64 bytes. Two passes: the first
                // filter of every word (its first byte read from the block) sets a bit at
                // the starts of the words that pass it, with no branch on its answer (about
                // one word in six passes, at random: a branch on each was mispredicted
                // often); the second looks those words up.
                let block = &bytes[at..];
                // The words left to read before the cap (`Overlap::add`'s stop; at most
                // `OVERLAP_MAX_WORDS` are read here, or `overlap_with` has returned).
                let room = OVERLAP_MAX_WORDS + 1 - count.total;
                let word_ends = ends;
                let (mut total, mut passed) = (0u32, 0u64);
                while ends != 0 && total < room {
                    let (s, e) = (starts.trailing_zeros(), ends.trailing_zeros());
                    let pass = set.may_hold_ascii(block[s as usize], (e - s) as usize);
                    passed |= u64::from(pass) << s;
                    total += 1;
                    starts &= starts - 1;
                    ends &= ends - 1;
                }
                let mut found = 0;
                while passed != 0 {
                    let s = passed.trailing_zeros();
                    // Starts and ends alternate: a word ends at the first end after its start.
                    let e = s + (word_ends >> s).trailing_zeros();
                    let (s, e) = (s as usize, e as usize);
                    // A short word's key is read from the block in place.
                    let hit = if e - s <= 8 {
                        set.holds_short(TitleWords::short_key_at(block, s, e))
                    } else {
                        set.holds_ascii_in_slot(&block[s..e])
                    };
                    found += u32::from(hit);
                    passed &= passed - 1;
                }
                count.total += total;
                count.found += found;
                if count.total > OVERLAP_MAX_WORDS {
                    return count.share();
                }
            } else {
                while ends != 0 {
                    let (s, e) = (starts.trailing_zeros(), ends.trailing_zeros());
                    let inside = (1u64 << (e - s)) - 1;
                    let w = ((wide >> s) & inside != 0, (cased >> s) & inside != 0);
                    let span = (at + s as usize, at + e as usize);
                    if word(text, span, w, set, scratch, &mut count) {
                        return count.share();
                    }
                    starts &= starts - 1;
                    ends &= ends - 1;
                }
            }
        }
        if starts != 0 {
            let s = starts.trailing_zeros();
            open = Some(at + s as usize);
            open_wide = wide >> s != 0;
            open_cased = cased >> s != 0;
        } else {
            open_wide |= wide != 0;
            open_cased |= cased != 0;
        }
        at += 64;
    }
    // A word that ends the line at the end of a block.
    if let Some(start) = open {
        word(
            text,
            (start, n),
            (open_wide, open_cased),
            set,
            scratch,
            &mut count,
        );
    }
    count.share()
}

/// The bytes `at..at + 64` of `bytes` (fewer at the end) as two masks, bit `k` for byte
/// `at + k`: ASCII letters and digits, and bytes outside ASCII. Bits past the end are 0.
#[inline(always)]
fn block_masks(bytes: &[u8], at: usize) -> (u64, u64) {
    let n = bytes.len();
    let (mut alnum, mut high) = (0u64, 0u64);
    for c in 0..4 {
        let from = at + 16 * c;
        if from >= n {
            break;
        }
        let (a, h) = match bytes.get(from..from + 16) {
            Some(chunk) => ascii_alnum_mask16(chunk.try_into().expect("sixteen bytes")),
            None => {
                // The last one to fifteen bytes: the sixteen that end the line, shifted
                // down (or, for a line shorter than sixteen, a padded copy).
                let rest = n - from;
                if let Some(last) = bytes.last_chunk::<16>() {
                    let (a, h) = ascii_alnum_mask16(last);
                    (a >> (16 - rest), h >> (16 - rest))
                } else {
                    // The line padded with zeros (neither letters nor outside ASCII) from
                    // word loads, not a copy (a call to `memcpy` for each short line, and
                    // a sixteen-byte load the copy's small stores could not forward to).
                    debug_assert_eq!((from, rest), (0, n));
                    let (lo, hi) = match bytes.first_chunk::<8>() {
                        Some(head) if n > 8 => (u64::from_le_bytes(*head), tail_word(bytes, n - 8)),
                        Some(head) => (u64::from_le_bytes(*head), 0),
                        None => (tail_word(bytes, n), 0),
                    };
                    ascii_alnum_mask16(&((u128::from(hi) << 64) | u128::from(lo)).to_le_bytes())
                }
            }
        };
        alnum |= u64::from(a) << (16 * c);
        high |= u64::from(h) << (16 * c);
    }
    (alnum, high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::segment;

    #[test]
    fn known_rule_matches_give_the_same_verdicts() {
        let doc = segment(
            "Leave a Reply\n\nA headline about the matter at hand\n\n\
             The article says something worth reading, at length, in a full sentence.\n\
             Related articles\n12 Comments\n",
        );
        let rules = RuleSet::load(true, &[]).unwrap();
        let model = Model::builtin();
        let all: Vec<LineMatch> = doc
            .lines
            .iter()
            .map(|l| rules.match_line(&l.text).map(|m| (m.id, m.category)))
            .collect();
        assert!(all.iter().any(Option::is_some), "a rule matches");
        let plain = classify(&doc, &rules, model);
        assert_eq!(classify_known(&doc, &rules, model, &all), plain);
        // Only some lines known (the others are matched as usual).
        let some: Vec<LineMatch> = all
            .iter()
            .enumerate()
            .map(|(i, m)| if i % 2 == 0 { *m } else { None })
            .collect();
        assert_eq!(classify_known(&doc, &rules, model, &some), plain);
    }

    #[test]
    fn captions_printed_twice_are_found() {
        let doc = segment(
            "© Agency / Some Photographer A man walks past the ruined building in the city.\n\
             A man walks past the ruined building in the city. - Some Agency\n\
             The article itself starts here and is much longer than the caption above it.\n",
        );
        assert_eq!(repeated_captions(&doc.lines), [true, true, false]);
    }

    /// [`repeated_captions_with`] as first written: each test in turn, and `str::contains`
    /// for the searches (its reference).
    fn repeated_captions_searched(lines: &[Line], cores: &[&str]) -> Vec<bool> {
        let mut out = vec![false; lines.len()];
        for (i, line) in lines.iter().enumerate() {
            let core = cores[i];
            if core.len() < CAPTION_MIN_CHARS || line.stats.words < 4 || line.stats.words > 80 {
                continue;
            }
            out[i] = (i.saturating_sub(3)..(i + 4).min(lines.len())).any(|j| {
                let (other, other_core) = (&lines[j], cores[j]);
                j != i
                    && other.text != line.text
                    && ((other.text.len() > core.len() && other.text.contains(core))
                        || (other_core.len() >= CAPTION_MIN_CHARS
                            && other_core.len() < line.text.len()
                            && other_core.len() <= core.len()
                            && line.text.len() - other_core.len() < 60
                            && core.contains(other_core)))
            });
        }
        out
    }

    #[test]
    fn repeated_captions_are_those_of_the_plain_tests_and_search() {
        // Pages of captions and lines that hold them (with a credit after some), of
        // lengths around the tests' limits.
        let parts = [
            "A man walks past",
            " the ruined building",
            " in the city",
            "Élan",
            "été",
            ", ",
            "12",
            "\"",
            " | ",
            " - AP",
            "Photo: ",
            " ",
            ".",
        ];
        let mut docs = many_docs();
        for (k, seed) in random_strings(&parts, 0x2545_f491_4f6c_dd1d, 400, 12)
            .chunks(8)
            .enumerate()
        {
            // Each line with a copy of the one before inside it, or not.
            let lines: Vec<String> = seed
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if i > 0 && (i + k) % 3 != 0 {
                        format!("{s}{}{s}", seed[i - 1])
                    } else {
                        s.clone()
                    }
                })
                .collect();
            docs.push(segment(&lines.join("\n")));
        }
        let mut found = 0;
        for doc in &docs {
            let cores: Vec<&str> = doc
                .lines
                .iter()
                .map(|l| strip_source_suffix(&l.text))
                .collect();
            let want = repeated_captions_searched(&doc.lines, &cores);
            let texts: Vec<&str> = doc.lines.iter().map(|l| l.text.as_str()).collect();
            assert_eq!(
                repeated_captions_with(&doc.lines, &cores),
                want,
                "{texts:?}"
            );
            found += want.iter().filter(|&&c| c).count();
        }
        assert!(found > 100, "{found} captions");
    }

    #[test]
    fn an_emptied_page_keeps_its_best_prose() {
        let doc = segment(
            "Home | News\n\
             The short article says what happened in one plain sentence of some length.\n\
             It adds a second sentence that the classifier liked much less than the first.\n\
             A teaser line for another story, with no full stop\n",
        );
        let verdict = |score: f32| Verdict {
            keep: false,
            reason: Reason::Classifier,
            score,
        };
        let mut verdicts = vec![verdict(0.3), verdict(0.2), verdict(0.01), verdict(0.25)];
        keep_best_prose_if_empty(&doc, &mut verdicts);
        let kept: Vec<bool> = verdicts.iter().map(|v| v.keep).collect();
        // The menu and the teaser are not prose; the second sentence is below a third
        // of the best one.
        assert_eq!(kept, [false, true, false, false]);
        // A page that kept something is left alone.
        let mut some = vec![verdict(0.3), verdict(0.2), verdict(0.15), verdict(0.25)];
        some[0].keep = true;
        keep_best_prose_if_empty(&doc, &mut some);
        assert_eq!(some.iter().filter(|v| v.keep).count(), 1);
    }

    #[test]
    fn lines_without_a_core_get_the_captions_of_all_cores() {
        let doc = segment(
            "A man walks past the ruined building - AP\n\
             A man walks past the ruined building\n\
             Photo - AP\n\
             a - b c\n\
             One two three four five six - AP\n\
             Seven eight nine ten eleven twelve - AP\n\
             Short - X Y\n\
             The article says what happened, at some length, in a sentence - AP\n",
        );
        let rules = RuleSet::load(true, &[]).unwrap();
        let cores: Vec<&str> = doc
            .lines
            .iter()
            .map(|l| strip_source_suffix(&l.text))
            .collect();
        let mut all = repeated_captions_with(&doc.lines, &cores);
        let repeated = all.clone();
        mark_attributed_captions(&doc.lines, &cores, &mut all);
        assert_ne!(all, repeated, "some attributed caption is found");
        assert_eq!(prepare(&doc, &rules).caption, all);
    }

    #[test]
    fn source_suffix_is_stripped_only_when_short() {
        assert_eq!(
            strip_source_suffix("A caption here - News Agency"),
            "A caption here"
        );
        assert_eq!(
            strip_source_suffix("Left - right politics are more than five words long here"),
            "Left - right politics are more than five words long here"
        );
    }

    /// `count` strings of fewer than `max_len` of `parts` each, picked by a xorshift sequence
    /// from `seed`.
    fn random_strings(parts: &[&str], seed: u64, count: usize, max_len: u64) -> Vec<String> {
        let mut r = seed;
        let mut pick = move || crate::swar::xorshift(&mut r);
        (0..count)
            .map(|_| {
                let len = pick() % max_len;
                (0..len)
                    .map(|_| parts[(pick() % parts.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    /// Every string made of up to `n` of `parts`.
    fn strings(parts: &[&str], n: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..n {
            last = last
                .iter()
                .flat_map(|s| parts.iter().map(move |p| format!("{s}{p}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    /// [`strip_source_suffix`] by a search of the whole line: its reference.
    fn whole_line_suffix(text: &str) -> &str {
        for sep in [" - ", " – ", " — ", " | "] {
            if let Some(pos) = text.rfind(sep) {
                let tail = &text[pos + sep.len()..];
                if !tail.is_empty() && tail.split_whitespace().count() <= 4 && pos > 0 {
                    return text[..pos].trim_end();
                }
            }
        }
        text
    }

    #[test]
    fn source_suffix_search_of_the_last_words_matches_a_whole_line_search() {
        let parts = ["ab", "É", " - ", " – ", " — ", " | ", " ", "\u{3000}", "-"];
        for s in strings(&parts, 6) {
            assert_eq!(strip_source_suffix(&s), whole_line_suffix(&s), "{s:?}");
        }
    }

    #[test]
    fn last_separator_byte_is_the_last_spaced_dash_or_bar() {
        let parts = ["ab", "-", "|", "–", "—", "’", "é", " ", "abcdefghi"];
        // Short strings of every shape, and long ones (several separators and flagged
        // bytes in one block of sixteen; words of one letter put a separator just before
        // the window where the search stops).
        let long = random_strings(&parts, 11, 3000, 40);
        let tight = random_strings(&["a", " ", " - ", " | ", "ab"], 3, 20000, 40);
        // And a separator at every distance before five short last words, at every
        // alignment to the blocks of sixteen.
        let near = (0..20).flat_map(|pre| {
            (1..4).flat_map(move |gap| {
                (1..40).map(move |last| {
                    let (pre, gap, last) = ("y".repeat(pre), " ".repeat(gap), "b".repeat(last));
                    format!("{pre}x -{gap}a a a a {last}")
                })
            })
        });
        for s in strings(&parts, 5)
            .into_iter()
            .chain(long)
            .chain(tight)
            .chain(near)
        {
            let expected = s
                .char_indices()
                .rev()
                .find(|&(i, c)| {
                    matches!(c, '-' | '|' | '–' | '—')
                        && s[..i].ends_with(' ')
                        && s[i + c.len_utf8()..].starts_with(' ')
                })
                .map(|(i, _)| i);
            // With more words than the line has, it reads to the start; with five, it
            // may miss only separators more than five bytes before the fifth-last word's end.
            assert_eq!(
                last_separator_byte(s.as_bytes(), usize::MAX),
                expected,
                "{s:?}"
            );
            let tail = end_of_nth_last_word(&s, 5).map_or(0, |e| e.saturating_sub(5));
            let found = last_separator_byte(s.as_bytes(), 5);
            match expected {
                Some(p) if p >= tail => assert_eq!(found, Some(p), "{s:?}"),
                _ => assert!(found.is_none() || found == expected, "{s:?}"),
            }
        }
    }

    #[test]
    fn source_suffix_search_of_long_lines_matches_a_whole_line_search() {
        // Lines of many blocks of sixteen: the search stops after five words.
        let parts = [
            "ab", "Ab1", "É", " - ", " – ", " — ", " | ", " ", " ", "\u{3000}", "-", "(x",
        ];
        for s in random_strings(&parts, 5, 4000, 60) {
            assert_eq!(strip_source_suffix(&s), whole_line_suffix(&s), "{s:?}");
        }
    }

    #[test]
    fn contains_long_is_contains() {
        let parts = ["abcdefgh", "abcdefg", "é", "h", " "];
        let all = strings(&parts, 4);
        for hay in &all {
            for needle in all.iter().filter(|n| n.len() <= 20) {
                assert_eq!(
                    contains_long(hay, needle),
                    hay.contains(needle.as_str()),
                    "{hay:?} {needle:?}"
                );
            }
        }
    }

    #[test]
    fn contains_long_is_contains_in_long_lines() {
        // Hays long enough for the sixteen positions at a time, needles at every offset
        // (shorter and longer than the sixteen bytes of a block), and each needle again
        // with a byte inside changed: a candidate with the right first bytes that is no
        // match.
        let parts = ["abcdefgh", "abcdefg", "é", "h", " ", "ah", "hhhhhhh"];
        let hays = random_strings(&parts, 7, 400, 16);
        for (k, hay) in hays.iter().enumerate() {
            for start in (0..hay.len()).filter(|&s| hay.is_char_boundary(s)) {
                for len in [8, 9, 12, 15, 16, 17, 25, 31, 40] {
                    let end = (start + len).min(hay.len());
                    if hay.is_char_boundary(end) {
                        let needle = &hay[start..end];
                        assert!(contains_long(hay, needle), "{hay:?} {needle:?}");
                        let mut near = needle.as_bytes().to_vec();
                        let mid = near.len() / 2;
                        if mid > 0 && near[mid].is_ascii() {
                            // (`#` is in no hay.)
                            near[mid] = b'#';
                            let near = String::from_utf8(near).expect("an ASCII byte replaced");
                            assert_eq!(
                                contains_long(hay, &near),
                                hay.contains(near.as_str()),
                                "{hay:?} {near:?}"
                            );
                        }
                    }
                }
            }
            let other = &hays[(k + 1) % hays.len()];
            for cut in [
                other.len() / 3,
                other.len() / 2,
                other.len().saturating_sub(20),
            ] {
                if other.is_char_boundary(cut) {
                    for needle in [&other[cut..], &other[..cut]] {
                        assert_eq!(
                            contains_long(hay, needle),
                            hay.contains(needle),
                            "{hay:?} {needle:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn word_set_lowercases_as_to_lowercase() {
        let text = "The CAT's Été, ΣΊΣΥΦΟΣ and İstanbul: 12 NAÏVE x2Y";
        let expected: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let set = title_text(text);
        assert!(set.words().eq(expected.iter().map(String::as_str)));
        assert!(set.contains("cat"));
    }

    #[test]
    fn ascii_titles_split_as_the_char_split_does() {
        let parts = [
            "The", "cAT", "'s", " ", ", ", "12", "x2Y", "-", "_", "\t", "é",
        ];
        for text in random_strings(&parts, 9, 3000, 12) {
            let expected: Vec<String> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            let set = title_text(&text);
            assert!(
                set.words().eq(expected.iter().map(String::as_str)),
                "{text:?}"
            );
        }
    }

    /// The reference of [`overlap`]: the share of the first 41 words of a split on
    /// characters that are not alphanumeric, lowercased, that are in `set`.
    fn split_overlap(text: &str, set: &TitleText) -> f32 {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(41)
            .map(str::to_lowercase)
            .collect();
        let found = words.iter().filter(|w| set.contains(w)).count();
        if words.is_empty() {
            0.0
        } else {
            found as f32 / words.len() as f32
        }
    }

    #[test]
    fn overlap_counts_words_as_a_split_on_non_alphanumerics() {
        let title = title_text("Été in Σίσυφος: the CAT, ab 12 naïve headlines");
        let parts = [
            "The",
            "cat",
            " ",
            "été",
            "ÉTÉ",
            "ΣΊΣΥΦΟΣ",
            "-",
            "12",
            "naïve",
            "ab",
        ];
        for s in strings(&parts, 4) {
            assert_eq!(overlap(&s, &title), split_overlap(&s, &title), "{s:?}");
            // Longer lines, the words at other offsets.
            for lead in ["", "a", "ab 1", "The cat, ", "ab12 -- x"] {
                let s = format!("{lead}{s}{s}{lead}{s}");
                assert_eq!(overlap(&s, &title), split_overlap(&s, &title), "{s:?}");
            }
        }
        // Every ASCII byte (and a few others) as a separator or inside a word, in lines of
        // every length.
        for c in (0u8..0x80).map(char::from).chain("éÉΣ’\u{3000}".chars()) {
            let s = format!("cat{c}abcdefghi{c}{c}12 The{c}naive{c}ab{c}{c}cat{c}The");
            for end in (0..=s.len()).filter(|&e| s.is_char_boundary(e)) {
                let s = &s[..end];
                assert_eq!(overlap(s, &title), split_overlap(s, &title), "{s:?}");
            }
        }
        let long = "cat ".repeat(60);
        assert_eq!(overlap(&long, &title), split_overlap(&long, &title));
        // The word cap reached before, at and after the first character that is not ASCII.
        for k in [20, 39, 40, 41, 50] {
            for wide in ["été", "naïve", "’"] {
                let s = format!("{}x {wide} ab {}", "cat ".repeat(k), "dog ".repeat(30));
                assert_eq!(overlap(&s, &title), split_overlap(&s, &title), "{s:?}");
            }
        }
        // Random lines: words and characters outside ASCII at every offset, inside and
        // between words (within the first 64-byte block: the block-edge test below covers
        // the edges).
        let pieces = [
            "cat",
            "The",
            "ab",
            "12",
            " ",
            ", ",
            "é",
            "naïve",
            "’",
            "\u{3000}",
            "x",
            "CAT",
            "été",
            "HEADLINES",
            "headline",
        ];
        overlap_is_split_overlap_on(&title, &pieces, 0x243f_6a88_85a3_08d3, 40);
    }

    /// [`overlap`] is [`split_overlap`] on 20,000 random lines of up to `max_len` `pieces`.
    fn overlap_is_split_overlap_on(title: &TitleText, pieces: &[&str], seed: u64, max_len: u64) {
        for s in random_strings(pieces, seed, 20_000, max_len) {
            assert_eq!(overlap(&s, title), split_overlap(&s, title), "{s:?}");
        }
    }

    #[test]
    fn words_of_letters_that_are_their_own_lowercase_are_looked_up_as_bytes() {
        // Caseless and lowercase letters outside ASCII (looked up without lowercasing),
        // next to capitals, the sigma, a Kelvin sign (whose lowercase is ASCII) and pairs of
        // letters whose bytes differ only in 0x20 (which short keys would confuse).
        let title = title_text("一丠 привет straße ΣΊΣΥΦΟΣ kw İx à ﬁne ñandú 中文标题 Добрый");
        let pieces: Vec<&str> =
            "一|丠|一丠|привет|Привет|ПРИВЕТ|straße|STRASSE|σίσυφος|ΣΊΣΥΦΟΣ|\u{212A}w|kw|\
            İx|i\u{307}x|à|À|ﬁne|ñandú|Ñandú|中文标题|中文|добрый| |, |’|a|\u{3000}"
                .split('|')
                .collect();
        overlap_is_split_overlap_on(&title, &pieces, 0x1319_8a2e_0370_7344, 60);
    }

    #[test]
    fn ascii_words_are_found_as_the_set_finds_them_lowercased() {
        // Titles of every size (the table of short keys grows with them), with words
        // outside ASCII whose keys are like an ASCII word's but for their high bits.
        let mut x = 0x3c6e_f372_fe94_f82bu64;
        let word = |x: &mut u64| -> String {
            let r = crate::swar::xorshift(x);
            let len = 1 + (r % 11) as usize;
            (0..len)
                .map(|k| {
                    let b = (r >> (8 + 5 * k)) as u8;
                    // Few letters, so that lines often hold title words.
                    char::from([b'a', b'B', b'c', b'D', b'1', b'e'][usize::from(b % 6)])
                })
                .collect()
        };
        // Titles whose short keys lie in their first place or the next (looked up with no
        // probe loop), and others.
        let (mut near, mut far) = (0, 0);
        for words in [0, 1, 3, 8, 9, 12, 16, 20, 24, 40, 300] {
            let mut title: Vec<String> = (0..words).map(|_| word(&mut x)).collect();
            title.extend(["é", "aé", "ÁB", "\u{e1}b1"].map(String::from));
            let set = title_text(&title.join(" "));
            let mut t = TitleWords::of(set.clone());
            // The short keys are of ASCII words only (no other is looked up by its key).
            let high = crate::swar::ONES * 0x80;
            assert!(t.short.iter().all(|&k| k & high == 0), "{title:?}");
            // Both lookups of short keys, where the table allows the one without a loop.
            let forms = if t.short_near {
                [true, false]
            } else {
                [false; 2]
            };
            if t.short_near {
                near += 1;
            } else {
                far += 1;
            }
            for short_near in forms {
                t.short_near = short_near;
                for _ in 0..2000 {
                    let w = word(&mut x);
                    let want = set.contains(&w.to_ascii_lowercase());
                    assert_eq!(t.holds_ascii(w.as_bytes()), want, "{w:?} in {title:?}");
                    assert_eq!(t.holds_ascii_in_slot(w.as_bytes()), want, "{w:?}");
                }
                // Every title word of up to eight bytes, found by its key.
                for w in set.words().filter(|w| w.len() <= 8 && w.is_ascii()) {
                    let key = TitleWords::short_key(w.as_bytes());
                    assert!(t.holds_short(key), "{w:?} in {title:?}");
                }
            }
        }
        assert!(near > 0 && far > 0, "{near} {far}");
    }

    #[test]
    fn short_keys_read_in_place_are_those_of_the_words() {
        let mut x = 0x1bd1_1bda_a9fc_1a22u64;
        for n in 1..=24 {
            for _ in 0..50 {
                let bytes: Vec<u8> = (0..n)
                    .map(|_| crate::swar::xorshift(&mut x) as u8)
                    .collect();
                for s in 0..n {
                    for e in s + 1..=(s + 8).min(n) {
                        assert_eq!(
                            TitleWords::short_key_at(&bytes, s, e),
                            TitleWords::short_key(&bytes[s..e]),
                            "{bytes:?} {s}..{e}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn short_keys_are_the_bytes_with_0x20_set() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let bytes = crate::swar::xorshift(&mut x).to_le_bytes();
            for len in 0..=8 {
                let w = &bytes[..len];
                let want = w
                    .iter()
                    .rev()
                    .fold(0, |key, &b| (key << 8) | u64::from(b | 0x20));
                assert_eq!(TitleWords::short_key(w), want, "{w:?}");
            }
            assert_eq!(TitleWords::short_key(&[bytes[0]; 9]), 0);
        }
    }

    #[test]
    fn overlap_reads_words_across_blocks_of_64_bytes() {
        let title = title_text("Été naïve cat the 𝐀b ab");
        let reference = |text: &str| split_overlap(text, &title);
        // Characters of two, three and four bytes (letters or not) and ASCII words at every
        // offset around the ends of the first two blocks, and lines ending there.
        for wide in ["é", "’", "𝐀", "\u{3000}", "naïve", "Été"] {
            for lead in 0..140 {
                for tail in ["", "b", " cat", "ab the", "𝐀b"] {
                    let s = format!("{}{wide}{tail}", "x".repeat(lead));
                    assert_eq!(overlap(&s, &title), reference(&s), "{s:?}");
                    let s = format!("{} {wide}{tail} cat ab", "ab ".repeat(lead / 3));
                    assert_eq!(overlap(&s, &title), reference(&s), "{s:?}");
                    // A word that starts with the character, at every offset.
                    let s = format!("{} {wide}{tail} cat ab", "a".repeat(lead));
                    assert_eq!(overlap(&s, &title), reference(&s), "{s:?}");
                }
            }
            // A word that starts with the character and crosses a whole block.
            let s = format!("{wide}{}", "x".repeat(140));
            assert_eq!(overlap(&s, &title), reference(&s), "{s:?}");
        }
        let pieces = [
            "cat", "The", " ", "é", "naïve", "’", "𝐀", "Été", "ab", "x", "-",
        ];
        for s in random_strings(&pieces, 0x0a40_9382_2299_f31d, 5_000, 120) {
            assert_eq!(overlap(&s, &title), reference(&s), "{s:?}");
        }
    }

    #[test]
    fn shortcuts_agree_with_the_unicode_tables() {
        for c in (0x80..0x11_0000).filter_map(char::from_u32) {
            let d = Scratch::default().describe(c);
            assert_eq!(d.alnum, c.is_alphanumeric());
            assert_eq!(
                d.cased,
                c.to_lowercase().collect::<String>() != c.to_string()
            );
            let s = format!("{c}A{c}");
            assert_eq!(
                lowercase_into(&s, &mut String::new()),
                s.to_lowercase(),
                "{s:?}"
            );
        }
        for w in ["ΣΊΣΥΦΟΣ", "ΑΣ", "Σ", "ΣΑ", "aΣb", "ПРИВЕТ", "Été"] {
            assert_eq!(
                lowercase_into(w, &mut String::new()),
                w.to_lowercase(),
                "{w:?}"
            );
        }
    }

    /// Whether `text` has a character that segment counts as Chinese or Japanese (kana, CJK
    /// ideographs): such lines are left to [`overlap_with`].
    fn has_cjk(text: &str) -> bool {
        text.chars().any(|c| {
            matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
        })
    }

    /// Segments the normalized `text` counting its title's words, and checks that every
    /// line's overlap from the counts has the bits of [`overlap_with`]'s (made from a filter
    /// of its own), and that only lines with Chinese or Japanese went uncounted. Returns how
    /// many lines were counted.
    fn counted_overlaps_are_read_overlaps(text: &str) -> usize {
        let (doc, filter, hits) =
            crate::segment::segment_terminated_filtered(text, TitleFilter::of);
        assert_eq!(hits.len(), doc.lines.len());
        let mut reference = TitleFilter::of(doc.lines.first().map_or("", |l| &l.text));
        let mut counted = 0;
        for (line, &h) in doc.lines.iter().zip(&hits) {
            assert_eq!(h == UNREAD, has_cjk(&line.text), "{:?}", line.text);
            counted += usize::from(h != UNREAD);
        }
        let mut title = TitleHits::new(filter, hits);
        for (i, line) in doc.lines.iter().enumerate() {
            let want = overlap_with(&line.text, &reference.words, &mut reference.scratch);
            let got = title.overlap(i, line);
            assert_eq!(got.to_bits(), want.to_bits(), "line {i}: {:?}", line.text);
        }
        counted
    }

    #[test]
    fn segment_counts_the_title_words_overlap_with_reads_on_the_benchmark_pages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("benches/data/shb-dev/input");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("the benchmark pages")
            .map(|e| e.expect("an entry").path())
            .collect();
        paths.sort();
        assert!(paths.len() > 100, "{}", paths.len());
        let (mut lines, mut counted, mut overlapping) = (0, 0, 0);
        for path in paths {
            let bytes = std::fs::read(&path).expect("a page");
            let text = crate::normalize::normalize(&String::from_utf8_lossy(&bytes)).text;
            counted += counted_overlaps_are_read_overlaps(&text);
            let doc = segment(&text);
            lines += doc.lines.len();
            let title = TitleWords::of(title_text(doc.lines.first().map_or("", |l| &l.text)));
            overlapping += doc.lines[1.min(doc.lines.len())..]
                .iter()
                .filter(|l| overlap_with(&l.text, &title, &mut Scratch::default()) > 0.0)
                .count();
        }
        // Nearly all lines are counted, and many share a word with their title (the test
        // compares more than zeros).
        assert!(counted * 100 >= lines * 95, "{counted} of {lines}");
        assert!(overlapping * 10 >= lines, "{overlapping} of {lines}");
    }

    #[test]
    fn segment_counts_the_title_words_overlap_with_reads_on_tricky_lines() {
        // Titles: ASCII with long words and digits, cased and caseless letters outside
        // ASCII, Chinese, none with a word, and none at all (an empty document).
        let titles = [
            "Internationalization of the CAT: 12 naïve headlines in 2024",
            "Été in Σίσυφος: the CAT, ab 12 naïve headlines",
            "一丠 привет straße ΣΊΣΥΦΟΣ kw İx à ﬁne ñandú 中文标题 Добрый",
            "中文标题 news",
            "-- | --",
            "",
        ];
        let pieces = [
            "cat",
            "CAT",
            "The",
            "the",
            "ab",
            "12",
            "2024",
            "x",
            " ",
            " ",
            ", ",
            "-",
            "’",
            "é",
            "naïve",
            "NAÏVE",
            "Été",
            "été",
            "ΣΊΣΥΦΟΣ",
            "σίσυφος",
            "İx",
            "i\u{307}x",
            "\u{212A}w",
            "kw",
            "straße",
            "STRASSE",
            "ﬁne",
            "Ñandú",
            "привет",
            "ПРИВЕТ",
            "中文",
            "标题",
            "か",
            "HEADLINES",
            "headlines",
            "internationalization",
            "Internationalization",
            "supercalifragilistic",
            "x2Y",
            "abcdefgh",
            "abcdefghi",
            "\u{3000}",
            "𝐀b",
            "_",
        ];
        let mut x = 0x5851_f42d_4c95_7f2du64;
        for title in titles {
            for round in 0..40 {
                let mut text = format!("{title}\n");
                // Lines of up to 120 pieces (more words than are read), some repeated
                // (copies take the first's count), the title among them.
                let lines = random_strings(&pieces, crate::swar::xorshift(&mut x), 60, 120);
                for (k, line) in lines.iter().enumerate() {
                    text.push_str(line);
                    text.push('\n');
                    if k % 7 == round % 7 {
                        text.push_str(&lines[k / 2]);
                        text.push_str(if k % 2 == 0 { "\n\n" } else { "\n" });
                        text.push_str(title);
                        text.push('\n');
                    }
                }
                // Words at every offset of segment's blocks of sixteen bytes and chunks of
                // eight, and lines ending there.
                for lead in 0..40 {
                    let pad = "y".repeat(lead % 20);
                    let sep = [" ", "é", "’", ", "][lead % 4];
                    text.push_str(&format!("{pad}{sep}cat{sep}The abcdefghi{sep}naïve 12\n"));
                    text.push_str(&format!("{pad} internationalization{sep}ab\n"));
                    text.push_str(&format!("{pad}{sep}{}\n", "CAT ".repeat(lead + 20)));
                }
                let text = crate::normalize::normalize(&text).text;
                counted_overlaps_are_read_overlaps(&text);
            }
        }
        // No document, no line.
        assert_eq!(counted_overlaps_are_read_overlaps(""), 0);
    }

    #[test]
    fn title_counts_follow_the_lines_left_and_go_with_the_title() {
        let text = "The cat sat\nA cat\nHome\nThe mat and the cat\nsat\n";
        let doc = segment(text);
        let make = || {
            let (_, filter, hits) =
                crate::segment::segment_terminated_filtered(text, TitleFilter::of);
            TitleHits::new(filter, hits)
        };
        // Lines 1 and 2 dropped: the others keep their counts, in order.
        let keep = [true, false, false, true, true];
        let mut left = make().retain(keep).expect("the title is kept");
        let lines: Vec<&Line> = doc
            .lines
            .iter()
            .zip(keep)
            .filter(|l| l.1)
            .map(|l| l.0)
            .collect();
        let reference = TitleWords::of(title_text(&doc.lines[0].text));
        for (i, line) in lines.iter().enumerate() {
            let want = overlap_with(&line.text, &reference, &mut Scratch::default());
            assert_eq!(left.overlap(i, line).to_bits(), want.to_bits(), "{i}");
        }
        assert_eq!(left.hits, [3, 3, 1]);
        // Without the title, the counts (of another title's words) go.
        assert!(make().retain([false, true, true, true, true]).is_none());
    }

    /// The benchmark and golden pages, segmented, and random pages made of lines of `parts`
    /// (a title and lines that share its words or not).
    fn many_docs() -> Vec<Document> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut docs = Vec::new();
        for dir in ["benches/data/shb-dev/input", "tests/golden/pages"] {
            // The benchmark pages are files; a golden page is a folder with its input.
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .expect("a page folder")
                .map(|e| e.expect("an entry").path())
                .map(|p| if p.is_dir() { p.join("input.txt") } else { p })
                .filter(|p| p.is_file())
                .collect();
            paths.sort();
            for path in paths {
                let bytes = std::fs::read(&path).expect("a page");
                let text = crate::normalize::normalize(&String::from_utf8_lossy(&bytes)).text;
                docs.push(segment(&text));
            }
        }
        // Both folders were read (123 benchmark pages, 15 golden ones).
        assert!(docs.len() > 130, "{}", docs.len());
        let parts = [
            "The",
            "cat",
            "sat",
            " ",
            ", ",
            "été",
            "ÉTÉ",
            "12",
            ".",
            "\n",
            "\n\n",
            "mat",
            "Home",
            "- AP",
            "headline",
            "’",
            "Related articles",
        ];
        for text in random_strings(&parts, 0x9e37_79b9_7f4a_7c15, 300, 400) {
            docs.push(segment(&text));
        }
        docs
    }

    #[test]
    fn classify_scoring_rows_by_blocks_is_deciding_the_prepared_matrix() {
        // `classify` keeps no stage-1 rows (it scores them a block at a time and keeps the
        // title overlaps apart): the verdicts and the probabilities' bits are those of
        // deciding on the whole matrix, as the trainer does. Pages of many blocks too.
        let rules = RuleSet::load(true, &[]).unwrap();
        let model = Model::builtin();
        let mut docs = many_docs();
        let long: String = docs
            .iter()
            .flat_map(|d| &d.lines)
            .take(1000)
            .map(|l| format!("{}\n\n", l.text))
            .collect();
        docs.push(segment(&long));
        assert!(docs
            .iter()
            .any(|d| d.lines.len() > 3 * features::BLOCK_ROWS));
        for doc in &docs {
            let got = classify(doc, &rules, model);
            let want = decide(doc, &prepare(doc, &rules), model);
            assert_eq!(got, want);
            let bits = |v: &[Verdict]| v.iter().map(|v| v.score.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want));
        }
    }

    #[test]
    fn the_title_overlap_in_a_row_is_that_of_its_line() {
        // What lets `mark_headline` read it there instead of computing it again.
        let rules = RuleSet::load(true, &[]).unwrap();
        for doc in many_docs().iter().filter(|d| !d.lines.is_empty()) {
            let prepared = prepare(doc, &rules);
            let title = title_text(&doc.lines[0].text);
            for (i, l) in doc.lines.iter().enumerate().skip(1) {
                assert_eq!(
                    features::title_overlap(&prepared.x1, i).to_bits(),
                    overlap(&l.text, &title).to_bits(),
                    "{:?}",
                    l.text
                );
            }
        }
    }

    #[test]
    fn repeated_lines_get_the_rules_own_match() {
        // The copies of a repeated line take the first copy's match from a map: each line's
        // match must still be the one the rules give its own text.
        let rules = RuleSet::load(true, &[]).unwrap();
        let mut repeated_matches = 0;
        for doc in many_docs() {
            let prepared = prepare(&doc, &rules);
            for (i, l) in doc.lines.iter().enumerate() {
                let own = rules.match_line(&l.text);
                assert_eq!(prepared.rule[i], own.map(|m| m.id), "{:?}", l.text);
                assert_eq!(prepared.category[i], own.map(|m| m.category));
                repeated_matches += usize::from(l.stats.repeats > 1 && own.is_some());
            }
        }
        // The pages have repeated lines that rules match (menus, share buttons).
        assert!(repeated_matches > 100, "{repeated_matches}");
    }

    #[test]
    fn copies_of_lines_that_share_a_slot_get_their_own_match() {
        // Two lines equal in length and in their first and last eight bytes (one slot), one
        // a rule matches and one it does not, their copies interleaved: a rule-matched line
        // of the pages, and the same with its middle blanked out.
        let rules = RuleSet::load(true, &[]).unwrap();
        let own = |t: &str| rules.match_line(t).map(|m| m.id);
        let docs = many_docs();
        let (a, b) = docs
            .iter()
            .flat_map(|d| &d.lines)
            .map(|l| l.text.as_str())
            .filter(|t| t.len() > 16 && t.is_ascii() && own(t).is_some())
            .map(|t| {
                let middle = "x".repeat(t.len() - 16);
                (t, format!("{}{middle}{}", &t[..8], &t[t.len() - 8..]))
            })
            .find(|(_, b)| own(b).is_none())
            .expect("a rule-matched line whose middle the rule needs");
        assert_eq!(copy_slot(a, COPY_SLOTS - 1), copy_slot(&b, COPY_SLOTS - 1));
        let doc = segment(&format!("{a}\n{b}\n{a}\n{b}\n{b}\n{a}\n"));
        assert!(doc.lines.iter().all(|l| l.stats.repeats == 3));
        let prepared = prepare(&doc, &rules);
        for (i, l) in doc.lines.iter().enumerate() {
            assert_eq!(prepared.rule[i], own(&l.text), "{i} {:?}", l.text);
        }
    }

    #[test]
    fn copy_slots_spread_lines() {
        // Not a correctness matter (clashes are compared away, see the test above), but a
        // slot chosen from too little of the text would make most copies clash: 200 short
        // lines of one shape take about 140 of the 256 slots when spread at random.
        let lines: Vec<String> = (0..200).map(|i| format!("Menu entry {i}")).collect();
        let slots: std::collections::HashSet<usize> =
            lines.iter().map(|t| copy_slot(t, COPY_SLOTS - 1)).collect();
        assert!(slots.len() >= 100, "{} slots", slots.len());
    }

    #[test]
    fn reasons_display_as_ids() {
        assert_eq!(
            Reason::Rule("comments.reply".into()).to_string(),
            "rule:comments.reply"
        );
        assert_eq!(Reason::Headline.to_string(), "headline");
    }
}
