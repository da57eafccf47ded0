//! Throughput of the cleaning pipeline, in bytes of raw input per second: each stage on its
//! own, the whole document ([`Cleaner::clean`]), legacy-encoded and mojibake inputs, and a
//! tiled corpus of 100+ MB cleaned on all cores.
//!
//! Every corpus is built in memory from `benches/data/shb-dev/input` (123 real scraped
//! pages, ~1.3 MB), so runs are deterministic and need no generated files. One iteration
//! processes every document of its corpus, so each number is for a realistic mix of page
//! sizes and languages rather than one page. Stage benches feed each stage the previous
//! stage's output, computed once up front, and count the *raw input* bytes of the documents,
//! so the per-stage rates compose: 1 / end-to-end ≈ Σ 1 / stage. Each group takes ten flat
//! samples, so `cargo bench` stays within a few minutes on 2 cores.
//!
//! `cargo bench --bench pipeline` runs it all (a few minutes on 2 cores); filter with a name,
//! e.g. `cargo bench --bench pipeline -- stage/`. `BOILERSTRIP_BENCH_MB` sets the size of the
//! tiled corpus (default 100).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use boilerstrip::classify::Verdict;
use boilerstrip::model::Model;
use boilerstrip::segment::Document;
use boilerstrip::{assemble, classify, decode, normalize, segment, Cleaner, Config, RuleSet};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};
use criterion::{measurement::WallTime, Throughput};
use encoding_rs::{Encoding, WINDOWS_1251, WINDOWS_1252};
use rayon::prelude::*;

// The allocator the `boilerstrip` binary ships with, so these rates are the CLI's.
#[global_allocator]
static GLOBAL: boilerstrip::alloc::Mimalloc = boilerstrip::alloc::Mimalloc;

/// The benchmark pages, raw bytes, sorted by file name so the order never changes.
fn shb_dev() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/shb-dev/input");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no input texts in {}", dir.display());
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The pages that a legacy code page can represent exactly, encoded to it: windows-1252
/// first (Western European), else windows-1251 (Cyrillic). Pure-ASCII pages are left out:
/// they are the same bytes in either, and the UTF-8 mix already covers them.
fn legacy(docs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    docs.iter()
        .filter(|d| !d.is_ascii())
        .filter_map(|d| {
            let text = std::str::from_utf8(d).ok()?;
            [WINDOWS_1252, WINDOWS_1251]
                .into_iter()
                .find_map(|enc| encode_exactly(text, enc))
        })
        .collect()
}

/// `text` in `enc`, or `None` when some character has no byte in it (encoding_rs would write
/// a numeric character reference instead).
fn encode_exactly(text: &str, enc: &'static Encoding) -> Option<Vec<u8>> {
    let (bytes, _, unmappable) = enc.encode(text);
    (!unmappable).then(|| bytes.into_owned())
}

/// Mojibake: the non-ASCII pages' UTF-8 bytes read as windows-1252 and written back as
/// UTF-8 ("café" -> "cafÃ©"), the commonest damage in scraped text.
fn mojibake(docs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    docs.iter()
        .filter(|d| !d.is_ascii())
        .map(|d| {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(d);
            text.into_owned().into_bytes()
        })
        .collect()
}

/// The pages repeated in order until they hold at least `min_bytes`, cut into `slices`
/// slices of the same content and size (each a whole number of copies of the pages).
fn tiled(docs: &[Vec<u8>], min_bytes: usize, slices: usize) -> Vec<Vec<Vec<u8>>> {
    let once = total_bytes(docs) as usize;
    let per_slice = min_bytes.div_ceil(once * slices).max(1);
    (0..slices)
        .map(|_| (0..per_slice).flat_map(|_| docs.iter().cloned()).collect())
        .collect()
}

fn total_bytes(docs: &[Vec<u8>]) -> u64 {
    docs.iter().map(|d| d.len() as u64).sum()
}

/// A group whose iterations are long (a whole corpus each): ten flat samples, so the
/// minimum work per benchmark is eleven passes (one warm-up) rather than criterion's
/// default of thousands.
fn slow_group<'a>(c: &'a mut Criterion, name: &str, bytes: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(bytes));
    g
}

/// Each stage alone on the UTF-8 mix, fed the previous stage's output.
fn stages(c: &mut Criterion) {
    let docs = shb_dev();
    let rules = RuleSet::load(true, &[]).expect("built-in rules compile");
    let model = Model::builtin();
    let decoded: Vec<String> = docs
        .iter()
        .map(|d| decode::decode(d).expect("benchmark pages are text").text)
        .collect();
    let normalized: Vec<String> = decoded
        .iter()
        .map(|t| normalize::normalize(t).text)
        .collect();
    let segmented: Vec<Document> = normalized.iter().map(|t| segment::segment(t)).collect();
    let verdicts: Vec<Vec<Verdict>> = segmented
        .iter()
        .map(|d| classify::classify(d, &rules, model))
        .collect();

    let mut g = slow_group(c, "stage", total_bytes(&docs));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for d in &docs {
                black_box(decode::decode(black_box(d)).ok());
            }
        })
    });
    g.bench_function("normalize", |b| {
        b.iter(|| {
            for t in &decoded {
                black_box(normalize::normalize(black_box(t)));
            }
        })
    });
    g.bench_function("segment", |b| {
        b.iter(|| {
            for t in &normalized {
                black_box(segment::segment(black_box(t)));
            }
        })
    });
    g.bench_function("classify", |b| {
        b.iter(|| {
            for d in &segmented {
                black_box(classify::classify(black_box(d), &rules, model));
            }
        })
    });
    g.bench_function("assemble", |b| {
        b.iter(|| {
            for (d, v) in segmented.iter().zip(&verdicts) {
                black_box(assemble::assemble(black_box(d), v));
            }
        })
    });
    g.finish();
}

/// `Cleaner::clean` on one thread: the UTF-8 mix, its legacy-encoded and its mojibake
/// variants. Decode and normalize are timed on the variants too, as that is where they
/// differ.
fn end_to_end(c: &mut Criterion) {
    let docs = shb_dev();
    let cleaner = Cleaner::new(Config::default()).expect("built-in rules compile");
    let corpora = [
        ("utf8", docs.clone()),
        ("legacy", legacy(&docs)),
        ("mojibake", mojibake(&docs)),
    ];
    for (name, corpus) in &corpora {
        let mut g = slow_group(c, &format!("clean/{name}"), total_bytes(corpus));
        g.bench_function("clean", |b| {
            b.iter(|| {
                for d in corpus {
                    black_box(cleaner.clean(black_box(d)).ok());
                }
            })
        });
        if *name != "utf8" {
            g.bench_function("decode+normalize", |b| {
                b.iter(|| {
                    for d in corpus {
                        let text = decode::decode(black_box(d)).map(|d| d.text);
                        black_box(text.map(|t| normalize::normalize(&t)).ok());
                    }
                })
            });
        }
        g.finish();
    }
}

/// The tiled corpus (100 MB by default), every document cleaned, spread over all cores as
/// the CLI does: the end-to-end rate the spec's target is stated for.
///
/// Cleaning all of it eleven times (warm-up and ten samples) would take many minutes at a
/// few MB/s per core, so each iteration cleans the next tenth of the corpus, in turn: over a
/// run the whole corpus is cleaned, from 100 MB of distinct memory, in ~1/10 of the time.
fn corpus(c: &mut Criterion) {
    const SLICES: usize = 10;
    let mb: usize = std::env::var("BOILERSTRIP_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let slices = tiled(&shb_dev(), mb << 20, SLICES);
    let cleaner = Cleaner::new(Config::default()).expect("built-in rules compile");
    let name = format!("corpus-{mb}MB/{}-threads", rayon::current_num_threads());
    let mut g = slow_group(c, &name, total_bytes(&slices[0]));
    g.warm_up_time(Duration::from_millis(1));
    let mut next = 0;
    g.bench_function("clean-tenth", |b| {
        b.iter(|| {
            let slice = &slices[next % SLICES];
            next += 1;
            slice
                .par_iter()
                .map(|d| cleaner.clean(d).map_or(0, |c| c.text.len()))
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, stages, end_to_end, corpus);
criterion_main!(benches);
