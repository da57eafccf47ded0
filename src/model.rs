//! The line classifier's weights: two logistic regressions and the smoothing that follows,
//! stored as data (`models/line-classifier.json`) and trained by `boilerstrip train`.
//!
//! A linear model was chosen over boosted trees because it carries over to languages and
//! sites it was not trained on better (measured while designing it); it is also fast and
//! small enough to read.

use serde::{Deserialize, Serialize};

use crate::features;

/// One logistic regression over standardized features. Its fields are read once, at the
/// first prediction: build a new one (or clone before the first prediction) to change them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Linear {
    /// Feature means (subtracted before weighting).
    pub mean: Vec<f32>,
    /// Feature scales (divided by before weighting; 1 for constant features).
    pub scale: Vec<f32>,
    /// One weight per feature.
    pub weights: Vec<f32>,
    /// The intercept.
    pub bias: f32,
    /// The weights and intercept with the standardization folded in, computed on the first
    /// prediction (so once per loaded model, not once per document). Not part of the file.
    #[serde(skip)]
    folded: std::sync::OnceLock<Folded>,
}

/// [`Linear`]'s weights with the standardization folded in: w' = w / scale,
/// b' = b - sum(w' * mean), each w' repeated in eight lanes for [`dot4_from`] and
/// `head_sums8` (the only copy of the weights kept).
#[derive(Debug, Clone)]
struct Folded {
    b: f32,
    splat: Vec<Splat>,
}

/// One weight in eight lanes, aligned so that a vector multiply reads it from memory (four
/// rows, or eight with AVX, are scored at once, one per lane; the four-lane code reads the
/// first four).
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Splat([f32; 8]);

impl PartialEq for Linear {
    fn eq(&self, other: &Self) -> bool {
        // The folded weights are derived from the rest.
        self.mean == other.mean
            && self.scale == other.scale
            && self.weights == other.weights
            && self.bias == other.bias
    }
}

impl Linear {
    /// A regression from its parts.
    pub fn new(mean: Vec<f32>, scale: Vec<f32>, weights: Vec<f32>, bias: f32) -> Linear {
        Linear {
            mean,
            scale,
            weights,
            bias,
            folded: std::sync::OnceLock::new(),
        }
    }

    /// The standardization folded into the weights: w' = w / scale, b' = b - sum(w' * mean).
    fn folded(&self) -> &Folded {
        self.folded.get_or_init(|| {
            let w: Vec<f32> = self
                .weights
                .iter()
                .zip(&self.scale)
                .map(|(w, s)| w / s)
                .collect();
            let b = self.bias - w.iter().zip(&self.mean).map(|(w, m)| w * m).sum::<f32>();
            let splat = w.iter().map(|&v| Splat([v; 8])).collect();
            Folded { b, splat }
        })
    }

    /// The probability of the positive class for each row of `x` (row-major, `weights.len()`
    /// columns).
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        self.predict_split(x, &[], 0)
    }

    /// [`Linear::predict`] of rows made of a row of `x` followed by `extra_width` values of
    /// `extra` (the same row index), without building the joined rows: the stage-2 vectors
    /// are the stage-1 vectors plus a few values, and copying them cost more than scoring.
    /// The sum runs over the joined row in order, so the results are the same bits.
    pub fn predict_split(&self, x: &[f32], extra: &[f32], extra_width: usize) -> Vec<f32> {
        let splat = &self.folded().splat;
        let [sums] = head_sums(x, [&splat[..splat.len() - extra_width]]);
        self.finish(sums, extra, extra_width)
    }

    /// The probabilities of rows from each row's sum over its first values (`sums`, from
    /// [`head_sums`]) and its `extra_width` last values, row-major in `extra`: the sums go
    /// on over them in order.
    fn finish(&self, sums: Vec<f32>, extra: &[f32], extra_width: usize) -> Vec<f32> {
        let Folded { b, splat } = self.folded();
        let b = *b;
        if extra_width == 0 {
            // No values past the sums (stage 1): each row's probability from its sum alone,
            // collected at once (no capacity test for each push).
            return sums.into_iter().map(|sum| sigmoid(b + sum)).collect();
        }
        // Every row has its extra values, and no more: the zip below takes a block of
        // four before finding its chunk missing, so that block would be lost and the rows
        // after it misaligned.
        assert_eq!(
            extra.len(),
            sums.len() * extra_width,
            "extra values for each row"
        );
        let s_tail = &splat[splat.len() - extra_width..];
        let tail = |i: usize| &extra[i * extra_width..(i + 1) * extra_width];
        let mut out = Vec::with_capacity(sums.len());
        // Four rows at a time, one per lane (each lane adds in its row's order), their
        // extra values cut from one chunk of `extra` walked with them.
        let mut blocks = sums.chunks_exact(4);
        for (block, four) in (&mut blocks).zip(extra.chunks_exact(4 * extra_width)) {
            let (t01, t23) = four.split_at(2 * extra_width);
            let (t0, t1) = t01.split_at(extra_width);
            let (t2, t3) = t23.split_at(extra_width);
            let dots = dot4_from(
                [block.try_into().expect("four sums")],
                [t0, t1, t2, t3],
                [s_tail],
            );
            out.extend(dots[0].map(|dot| sigmoid(b + dot)));
        }
        // The last one to three rows one by one, in the same order.
        for &sum in blocks.remainder() {
            let i = out.len();
            out.push(sigmoid(b + dot(sum, tail(i), s_tail)));
        }
        out
    }

    /// Fits a logistic regression to rows `x` with labels `y` (0/1) and per-row weights,
    /// by full-batch gradient descent (Adam) with an L2 penalty `l2`.
    pub fn fit(x: &[f32], y: &[f32], sample_weight: &[f32], l2: f32, epochs: usize) -> Linear {
        let n = y.len();
        let width = x.len().checked_div(n).unwrap_or(0);
        let mut mean = vec![0.0f64; width];
        let mut var = vec![0.0f64; width];
        let total_w: f64 = sample_weight
            .iter()
            .map(|&w| f64::from(w))
            .sum::<f64>()
            .max(1e-9);
        for (row, &sw) in x.chunks_exact(width.max(1)).zip(sample_weight) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += f64::from(sw) * f64::from(*v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= total_w);
        for (row, &sw) in x.chunks_exact(width.max(1)).zip(sample_weight) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += f64::from(sw) * (f64::from(*v) - m).powi(2);
            }
        }
        let scale: Vec<f32> = var
            .iter()
            .map(|v| {
                let sd = (v / total_w).sqrt() as f32;
                if sd > 1e-6 {
                    sd
                } else {
                    1.0
                }
            })
            .collect();
        let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
        let z: Vec<f32> = x
            .chunks_exact(width.max(1))
            .flat_map(|row| {
                row.iter()
                    .zip(&mean)
                    .zip(&scale)
                    .map(|((v, m), s)| (v - m) / s)
            })
            .collect();

        let mut w = vec![0.0f32; width];
        let mut b = 0.0f32;
        let (mut mw, mut vw) = (vec![0.0f32; width], vec![0.0f32; width]);
        let (mut mb, mut vb) = (0.0f32, 0.0f32);
        let (beta1, beta2, lr, eps) = (0.9f32, 0.999f32, 0.05f32, 1e-8f32);
        let tw = total_w as f32;
        for t in 1..=epochs {
            let mut gw = vec![0.0f32; width];
            let mut gb = 0.0f32;
            for ((row, &label), &sw) in z.chunks_exact(width.max(1)).zip(y).zip(sample_weight) {
                let p = sigmoid(b + row.iter().zip(&w).map(|(x, w)| x * w).sum::<f32>());
                let err = sw * (p - label);
                gb += err;
                for (g, x) in gw.iter_mut().zip(row) {
                    *g += err * x;
                }
            }
            for (g, wi) in gw.iter_mut().zip(&w) {
                *g = *g / tw + l2 * wi;
            }
            gb /= tw;
            let c1 = 1.0 - beta1.powi(t as i32);
            let c2 = 1.0 - beta2.powi(t as i32);
            for i in 0..width {
                mw[i] = beta1 * mw[i] + (1.0 - beta1) * gw[i];
                vw[i] = beta2 * vw[i] + (1.0 - beta2) * gw[i] * gw[i];
                w[i] -= lr * (mw[i] / c1) / ((vw[i] / c2).sqrt() + eps);
            }
            mb = beta1 * mb + (1.0 - beta1) * gb;
            vb = beta2 * vb + (1.0 - beta2) * gb * gb;
            b -= lr * (mb / c1) / ((vb / c2).sqrt() + eps);
        }
        Linear::new(mean, scale, w, b)
    }
}

/// Each row's sum of products with the first values of `M` weight vectors (all as long),
/// from `-0.0` and left to right (the bits of `Iterator::sum` over the products), one
/// vector of sums per weight vector: the rows are read (and transposed, see [`dot4_from`])
/// once for all of them. Stage 2's rows begin with stage 1's, so one pass gives stage 1's
/// sums and stage 2's over those values.
fn head_sums<const M: usize>(x: &[f32], w: [&[Splat]; M]) -> [Vec<f32>; M] {
    let rows = x.len().checked_div(w[0].len()).unwrap_or(0);
    let mut out: [Vec<f32>; M] = std::array::from_fn(|_| Vec::with_capacity(rows));
    head_sums_onto(x, w, &mut out);
    out
}

/// [`head_sums`] pushed onto `out` (the sums of rows given a block at a time: each row's
/// sums are the same bits whatever block it comes in).
fn head_sums_onto<const M: usize>(x: &[f32], w: [&[Splat]; M], out: &mut [Vec<f32>; M]) {
    let width = w[0].len();
    assert!(w.iter().all(|w| w.len() == width), "as many weights each");
    if width == 0 {
        return;
    }
    // Eight rows at a time where the processor has AVX (half the multiplies, adds and
    // shuffles of four at a time), then the rest (with AVX, fewer than eight) four at a
    // time and one by one: every row's sum is the same bits either way.
    #[cfg(target_arch = "x86_64")]
    let x = if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor has AVX (tested just above).
        let done = unsafe { head_sums8(x, w, out) };
        &x[done * width..]
    } else {
        x
    };
    // Four rows at a time, one per lane (with AVX, at most one such block).
    let mut blocks = x.chunks_exact(4 * width);
    for block in &mut blocks {
        let (h0, h1) = block.split_at(2 * width);
        let (h0, h1, h2, h3) = (&h0[..width], &h0[width..], &h1[..width], &h1[width..]);
        let sums = dot4_from([[-0.0; 4]; M], [h0, h1, h2, h3], w);
        for (out, sums) in out.iter_mut().zip(sums) {
            out.extend_from_slice(&sums);
        }
    }
    // The last one to three rows one by one (the bits of a lane).
    for row in blocks.remainder().chunks_exact(width) {
        for (out, w) in out.iter_mut().zip(w) {
            out.push(dot(-0.0, row, w));
        }
    }
}

/// [`head_sums`] of the whole blocks of eight rows of `x` with AVX, pushed onto `out`;
/// returns how many rows it scored. The transposition of [`dot4_from`] on two rows per
/// 128-bit half (rows `r` and `r + 4`, whose four values are loaded into one register), a
/// multiply and an add (never fused) per weight for eight rows: each lane adds its row's
/// products in order, the bits of the scalar sum.
///
/// # Safety
/// The processor must have AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn head_sums8<const M: usize>(
    x: &[f32],
    w: [&[Splat]; M],
    out: &mut [Vec<f32>; M],
) -> usize {
    use std::arch::x86_64::{
        _mm256_add_ps, _mm256_castpd_ps, _mm256_castps128_ps256, _mm256_castps_pd,
        _mm256_insertf128_ps, _mm256_load_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_set_ps,
        _mm256_storeu_ps, _mm256_unpackhi_pd, _mm256_unpackhi_ps, _mm256_unpacklo_pd,
        _mm256_unpacklo_ps, _mm_loadu_ps,
    };
    const LANES: usize = 4;
    let width = w[0].len();
    let whole = width / LANES * LANES;
    let mut blocks = x.chunks_exact(8 * width);
    let mut done = 0;
    for block in &mut blocks {
        // Every row cut to the same length (bounds checked here; the loop's condition
        // then proves its reads in bounds, and those of the weights cut to it). Written
        // out, not by `array::from_fn`, which was not inlined: its rows' lengths were
        // unknown in the loop, which then checked every read.
        let row = |j: usize| &block[j * width..j * width + whole];
        let r = [
            row(0),
            row(1),
            row(2),
            row(3),
            row(4),
            row(5),
            row(6),
            row(7),
        ];
        // SAFETY: the processor has AVX (this function's contract); the unaligned loads
        // read four values of a row, the aligned ones a `Splat` (aligned to 32 bytes), the
        // store eight values of an array.
        unsafe {
            let mut acc = [_mm256_set1_ps(-0.0); M];
            // Values k..k + 4 of row `lo` in the low half, of row `hi` in the high half.
            macro_rules! two_rows {
                ($lo:expr, $hi:expr, $k:expr) => {
                    _mm256_insertf128_ps::<1>(
                        _mm256_castps128_ps256(_mm_loadu_ps($lo[$k..$k + LANES].as_ptr())),
                        _mm_loadu_ps($hi[$k..$k + LANES].as_ptr()),
                    )
                };
            }
            let mut k = 0;
            while k + LANES <= whole {
                let (a, b) = (two_rows!(r[0], r[4], k), two_rows!(r[1], r[5], k));
                let (c, d) = (two_rows!(r[2], r[6], k), two_rows!(r[3], r[7], k));
                // In each half as in `dot4_from`: [a0 b0 a1 b1], [c0 d0 c1 d1], ...
                let (ab_lo, cd_lo) = (_mm256_unpacklo_ps(a, b), _mm256_unpacklo_ps(c, d));
                let (ab_hi, cd_hi) = (_mm256_unpackhi_ps(a, b), _mm256_unpackhi_ps(c, d));
                let (ab_lo, cd_lo) = (_mm256_castps_pd(ab_lo), _mm256_castps_pd(cd_lo));
                let (ab_hi, cd_hi) = (_mm256_castps_pd(ab_hi), _mm256_castps_pd(cd_hi));
                // Value k + j of the eight rows (lane `r` is row `r`).
                let x = [
                    _mm256_castpd_ps(_mm256_unpacklo_pd(ab_lo, cd_lo)),
                    _mm256_castpd_ps(_mm256_unpackhi_pd(ab_lo, cd_lo)),
                    _mm256_castpd_ps(_mm256_unpacklo_pd(ab_hi, cd_hi)),
                    _mm256_castpd_ps(_mm256_unpackhi_pd(ab_hi, cd_hi)),
                ];
                for m in 0..M {
                    let w = &w[m][..whole][k..k + LANES];
                    let mut a = acc[m];
                    for j in 0..LANES {
                        a = _mm256_add_ps(a, _mm256_mul_ps(x[j], _mm256_load_ps(w[j].0.as_ptr())));
                    }
                    acc[m] = a;
                }
                k += LANES;
            }
            for k in whole..width {
                let v = |j: usize| block[j * width + k];
                let x = _mm256_set_ps(v(7), v(6), v(5), v(4), v(3), v(2), v(1), v(0));
                for m in 0..M {
                    let wk = _mm256_load_ps(w[m][k].0.as_ptr());
                    acc[m] = _mm256_add_ps(acc[m], _mm256_mul_ps(x, wk));
                }
            }
            for (out, acc) in out.iter_mut().zip(acc) {
                let mut lanes = [0.0f32; 8];
                _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
                out.extend_from_slice(&lanes);
            }
        }
        done += 8;
    }
    done
}

/// Weight vectors over the values of a stage-1 row.
type RowWeights<'w> = [&'w [Splat; features::STAGE1_WIDTH]; 2];

/// The sums of the rows of `block` with the weight vectors `w` (see [`head_sums`]), pushed
/// onto `out`: [`features::LANES`] lines at a time, one per lane, each lane adding its row's
/// products in order from -0.0, a multiply and an add per value (never fused), so each is
/// the bits of [`dot`] of its row. The block gives each value of those lines from one place
/// (its columns), so no transposition is needed, and the neighbour values are read where
/// the lines' own are. The portable code (the AVX code's reference in its test).
fn block_sums(block: &features::Block, w: RowWeights, out: &mut [Vec<f32>; 2]) {
    const LANES: usize = features::LANES;
    /// The sums of a group of lines, one per lane and weight vector.
    struct Sums<'w> {
        acc: [[f32; LANES]; 2],
        w: RowWeights<'w>,
    }
    impl features::TakeColumn for Sums<'_> {
        fn take(&mut self, c: usize, x: &[f32; LANES]) {
            for (acc, w) in self.acc.iter_mut().zip(self.w) {
                let w = w[c].0[0];
                for (acc, x) in acc.iter_mut().zip(x) {
                    *acc += x * w;
                }
            }
        }
    }
    let len = block.len();
    for g in 0..len.div_ceil(LANES) {
        let mut sums = Sums {
            acc: [[-0.0; LANES]; 2],
            w,
        };
        block.each_column(g, &mut sums);
        let lines = (len - g * LANES).min(LANES);
        for (out, acc) in out.iter_mut().zip(&sums.acc) {
            out.extend_from_slice(&acc[..lines]);
        }
    }
}

/// [`block_sums`] with AVX: per value of a row, a multiply and an add (never fused) of
/// eight lanes for each weight vector and eight lines.
///
/// # Safety
/// The processor must have AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn block_sums_avx(block: &features::Block, w: RowWeights, out: &mut [Vec<f32>; 2]) {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_load_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_set1_ps,
        _mm256_storeu_ps,
    };
    const LANES: usize = features::LANES;
    const HALF: usize = LANES / 2;
    const _: () = assert!(HALF == 8, "two vectors of eight lanes");
    /// The sums of a group of lines: `acc[m][h]` of weight vector `m` and lines
    /// `8 * h .. 8 * h + 8` of the group.
    struct Sums<'w> {
        acc: [[__m256; 2]; 2],
        w: RowWeights<'w>,
    }
    impl features::TakeColumn for Sums<'_> {
        // Inlined into the block's loop (a call per value would cost as much as its work).
        #[inline(always)]
        fn take(&mut self, c: usize, x: &[f32; LANES]) {
            // SAFETY: `Sums` is made only in `block_sums_avx`, which runs where the processor
            // has AVX (its contract); the unaligned loads read eight values of an array, the
            // aligned one a `Splat` (aligned to 32 bytes).
            unsafe {
                let (lo, hi) = x.split_at(HALF);
                let x = [_mm256_loadu_ps(lo.as_ptr()), _mm256_loadu_ps(hi.as_ptr())];
                for (acc, w) in self.acc.iter_mut().zip(self.w) {
                    let w = _mm256_load_ps(w[c].0.as_ptr());
                    acc[0] = _mm256_add_ps(acc[0], _mm256_mul_ps(x[0], w));
                    acc[1] = _mm256_add_ps(acc[1], _mm256_mul_ps(x[1], w));
                }
            }
        }
    }
    let len = block.len();
    for g in 0..len.div_ceil(LANES) {
        let mut sums = Sums {
            acc: [[_mm256_set1_ps(-0.0); 2]; 2],
            w,
        };
        block.each_column(g, &mut sums);
        let lines = (len - g * LANES).min(LANES);
        for (out, acc) in out.iter_mut().zip(&sums.acc) {
            let mut lanes = [0.0f32; LANES];
            let (lo, hi) = lanes.split_at_mut(HALF);
            // SAFETY: AVX (this function's contract); each store writes eight values of
            // an array.
            unsafe {
                _mm256_storeu_ps(lo.as_mut_ptr(), acc[0]);
                _mm256_storeu_ps(hi.as_mut_ptr(), acc[1]);
            }
            out.extend_from_slice(&lanes[..lines]);
        }
    }
}

/// `acc + x[0] * w[0] + x[1] * w[1] + ...` for one row, left to right (the products rounded
/// alone, no fused multiply-add: the bits of a lane of [`dot4_from`]).
fn dot(acc: f32, x: &[f32], w: &[Splat]) -> f32 {
    x.iter().zip(w).fold(acc, |acc, (x, w)| acc + x * w.0[0])
}

/// `acc + x[0] * w[0] + x[1] * w[1] + ...`, added left to right, for four rows at once and
/// `M` weight vectors (all as long as the rows are read), each row and weight vector with
/// its own `acc` (lane `r` is row `r`): the rows are read four values at a time and
/// transposed, so that one vector multiply and one vector add take a weight for all four
/// rows. Each lane adds its products in order, so every lane is the bits of the scalar sum
/// of its row; it costs about half the instructions of four scalar sums (whose additions,
/// one after the other, are each a scalar add), and the transposition is shared by the
/// weight vectors. The portable code, for other targets and as the reference of the SSE
/// code's test.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse"), cfg(test))]
#[inline(always)]
fn dot4_from_plain<const M: usize>(
    mut acc: [[f32; 4]; M],
    rows: [&[f32]; 4],
    w: [&[Splat]; M],
) -> [[f32; 4]; M] {
    const LANES: usize = 4;
    let len = w[0].len();
    let whole = len / LANES * LANES;
    // The weights and every row cut to the same length (bounds checked here; the loop's
    // condition then proves its reads in bounds).
    let w4 = w.map(|w| &w[..whole]);
    let [r0, r1, r2, r3] = rows;
    let (c0, c1, c2, c3) = (&r0[..whole], &r1[..whole], &r2[..whole], &r3[..whole]);
    let lanes =
        |r: &[f32], k: usize| -> [f32; LANES] { r[k..k + LANES].try_into().expect("LANES values") };
    let mut k = 0;
    while k + LANES <= whole {
        let x = [lanes(c0, k), lanes(c1, k), lanes(c2, k), lanes(c3, k)];
        for (acc, w4) in acc.iter_mut().zip(w4) {
            for (j, wj) in w4[k..k + LANES].iter().enumerate() {
                for r in 0..4 {
                    acc[r] += x[r][j] * wj.0[r];
                }
            }
        }
        k += LANES;
    }
    for k in whole..len {
        let x = [r0[k], r1[k], r2[k], r3[k]];
        for (acc, w) in acc.iter_mut().zip(w) {
            for r in 0..4 {
                acc[r] += x[r] * w[k].0[r];
            }
        }
    }
    acc
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
use dot4_from_plain as dot4_from;

/// `dot4_from_plain` (the portable form, compiled for tests here) written with the SSE
/// shuffles that transpose four values of four rows (4 loads and 8 shuffles; the compiler's
/// own transposition of the portable code took about twice as many instructions, and
/// another shape for each weight vector).
#[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
#[inline(always)]
fn dot4_from<const M: usize>(
    acc: [[f32; 4]; M],
    rows: [&[f32]; 4],
    w: [&[Splat]; M],
) -> [[f32; 4]; M] {
    use std::arch::x86_64::{
        __m128, _mm_add_ps, _mm_cvtss_f32, _mm_load_ps, _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps,
        _mm_mul_ps, _mm_set_ps, _mm_shuffle_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };
    const LANES: usize = 4;
    /// Four values as a vector (lane `r` is `v[r]`): one unaligned load.
    #[inline(always)]
    fn load(v: &[f32]) -> __m128 {
        let v: &[f32; 4] = v.try_into().expect("four values");
        // SAFETY: SSE is enabled (the `cfg` of `dot4_from`), and the unaligned load reads
        // the four values of an array.
        unsafe { _mm_loadu_ps(v.as_ptr()) }
    }
    /// A weight's lanes, read aligned (what lets the multiply read it from memory).
    #[inline(always)]
    fn splat(w: &Splat) -> __m128 {
        // SAFETY: SSE is enabled (the `cfg` of `dot4_from`), and a `Splat`'s four values
        // are aligned to 16 bytes, as the aligned load requires.
        unsafe { _mm_load_ps(w.0.as_ptr()) }
    }
    /// The lanes of a vector.
    #[inline(always)]
    fn lanes(v: __m128) -> [f32; 4] {
        // SAFETY: SSE is enabled (the `cfg` of `dot4_from`).
        unsafe {
            [
                _mm_cvtss_f32(v),
                _mm_cvtss_f32(_mm_shuffle_ps::<0b01_01_01_01>(v, v)),
                _mm_cvtss_f32(_mm_shuffle_ps::<0b10_10_10_10>(v, v)),
                _mm_cvtss_f32(_mm_shuffle_ps::<0b11_11_11_11>(v, v)),
            ]
        }
    }
    // SAFETY: the intrinsics need SSE only, which this build enables (the `cfg` above;
    // every x86_64 processor has it).
    unsafe {
        let len = w[0].len();
        let whole = len / LANES * LANES;
        let mut acc = acc.map(|a| load(&a));
        let [r0, r1, r2, r3] = rows;
        // Every row cut to the same length (bounds checked here; the loop's condition then
        // proves its reads in bounds, and those of the weights cut to it).
        let (c0, c1, c2, c3) = (&r0[..whole], &r1[..whole], &r2[..whole], &r3[..whole]);
        let mut k = 0;
        while k + LANES <= whole {
            let (a, b) = (load(&c0[k..k + LANES]), load(&c1[k..k + LANES]));
            let (c, d) = (load(&c2[k..k + LANES]), load(&c3[k..k + LANES]));
            // [a0 b0 a1 b1], [c0 d0 c1 d1], [a2 b2 a3 b3], [c2 d2 c3 d3]
            let (ab_lo, cd_lo) = (_mm_unpacklo_ps(a, b), _mm_unpacklo_ps(c, d));
            let (ab_hi, cd_hi) = (_mm_unpackhi_ps(a, b), _mm_unpackhi_ps(c, d));
            // Value k + j of the four rows.
            let x = [
                _mm_movelh_ps(ab_lo, cd_lo),
                _mm_movehl_ps(cd_lo, ab_lo),
                _mm_movelh_ps(ab_hi, cd_hi),
                _mm_movehl_ps(cd_hi, ab_hi),
            ];
            for m in 0..M {
                let w = &w[m][..whole][k..k + LANES];
                let mut a = acc[m];
                a = _mm_add_ps(a, _mm_mul_ps(x[0], splat(&w[0])));
                a = _mm_add_ps(a, _mm_mul_ps(x[1], splat(&w[1])));
                a = _mm_add_ps(a, _mm_mul_ps(x[2], splat(&w[2])));
                acc[m] = _mm_add_ps(a, _mm_mul_ps(x[3], splat(&w[3])));
            }
            k += LANES;
        }
        for k in whole..len {
            let x = _mm_set_ps(r3[k], r2[k], r1[k], r0[k]);
            for (acc, w) in acc.iter_mut().zip(w) {
                *acc = _mm_add_ps(*acc, _mm_mul_ps(x, splat(&w[k])));
            }
        }
        acc.map(lanes)
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The whole line classifier: two stages and the smoothing that turns probabilities into
/// keep/drop decisions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// What it was trained on and how it scored (informational).
    pub trained_on: String,
    /// Stage 1: from the line's and its neighbours' features.
    pub stage1: Linear,
    /// Stage 2: stage-1 features plus the neighbours' stage-1 probabilities.
    pub stage2: Linear,
    /// The cost of switching between keep and drop from one line to the next in the
    /// smoothing (in log-odds units); 0 disables smoothing.
    pub switch_penalty: f32,
    /// Probability above which a line counts as article text.
    pub threshold: f32,
}

/// A [`Linear`]'s numbers as constants: those of models/line-classifier.json, which
/// build.rs writes (`BUILTIN_STAGE1`, `BUILTIN_STAGE2`) with the model's other fields.
struct LinearParts {
    mean: &'static [f32],
    scale: &'static [f32],
    weights: &'static [f32],
    bias: f32,
}

include!(concat!(env!("OUT_DIR"), "/builtin_model.rs"));

/// Why a model file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file is not valid JSON for a model.
    #[error("invalid model: {0}")]
    Parse(#[from] serde_json::Error),
    /// The model was trained on other features than this version computes.
    #[error("model expects {expected} features, this version computes {found}")]
    Width {
        /// What the model has.
        expected: usize,
        /// What the code computes.
        found: usize,
    },
}

impl Model {
    /// The model shipped with boilerstrip.
    pub fn builtin() -> &'static Model {
        static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| {
            let linear = |p: &LinearParts| {
                Linear::new(
                    p.mean.to_vec(),
                    p.scale.to_vec(),
                    p.weights.to_vec(),
                    p.bias,
                )
            };
            // models/line-classifier.json, whose numbers build.rs made constants.
            Model {
                trained_on: BUILTIN_TRAINED_ON.to_string(),
                stage1: linear(&BUILTIN_STAGE1),
                stage2: linear(&BUILTIN_STAGE2),
                switch_penalty: BUILTIN_SWITCH_PENALTY,
                threshold: BUILTIN_THRESHOLD,
            }
            .checked()
            .expect("the built-in model matches the features (checked by a unit test)")
        })
    }

    /// Parses and checks a model file's contents.
    ///
    /// # Errors
    /// [`ModelError`] when the JSON is invalid or the feature counts do not match.
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        serde_json::from_str::<Model>(json)?.checked()
    }

    /// The model, if its regressions have as many features as this version computes.
    fn checked(self) -> Result<Model, ModelError> {
        let w1 = features::stage1_len();
        let w2 = w1 + features::STAGE2_EXTRA;
        for (lin, want) in [(&self.stage1, w1), (&self.stage2, w2)] {
            for len in [lin.weights.len(), lin.mean.len(), lin.scale.len()] {
                if len != want {
                    return Err(ModelError::Width {
                        expected: len,
                        found: want,
                    });
                }
            }
        }
        Ok(self)
    }

    /// The stage-2 probabilities of lines with stage-1 rows `x1` (row-major, see
    /// [`features::stage1`]): stage 1 scores the rows, [`features::stage2_extras`] adds
    /// its probabilities around each line, stage 2 scores the joined rows. The same bits
    /// as the two predictions apart; stage 2's sums over the stage-1 values are taken in
    /// the pass that scores stage 1 (one reading of the rows for both).
    pub fn predict(&self, x1: &[f32]) -> Vec<f32> {
        let mut sums = self.row_sums(x1.len() / features::stage1_len());
        sums.add(x1);
        sums.predict()
    }

    /// [`Model::predict`] of stage-1 rows given a block at a time to [`RowSums::add`]
    /// (see [`features::stage1_blocks`]), for about `rows` rows: no matrix of them kept.
    pub(crate) fn row_sums(&self, rows: usize) -> RowSums<'_> {
        let extra = features::STAGE2_EXTRA;
        let (w1, w2) = (&self.stage1.folded().splat, &self.stage2.folded().splat);
        RowSums {
            model: self,
            weights: [w1, &w2[..w2.len() - extra]],
            sums: [Vec::with_capacity(rows), Vec::with_capacity(rows)],
        }
    }

    /// Keep (true) or drop for each line, from the stage-2 probabilities: the most likely
    /// keep/drop sequence (Viterbi) when each switch costs `switch_penalty`.
    pub fn smooth(&self, p: &[f32]) -> Vec<bool> {
        let n = p.len();
        if self.switch_penalty <= 0.0 || n == 0 {
            return p.iter().map(|&x| x >= self.threshold).collect();
        }
        // Log-odds relative to the threshold: positive favours keep.
        let bias = (self.threshold / (1.0 - self.threshold)).ln();
        let score = |x: f32| {
            let x = x.clamp(1e-4, 1.0 - 1e-4);
            (x / (1.0 - x)).ln() - bias
        };
        // State 0 = drop, 1 = keep; emission scores 0 for drop, score(p) for keep.
        let mut best = [0.0f32, score(p[0])];
        // Each line's two back-pointers in one byte: bit `s` is the state before `s`. The
        // walk back then needs only a shift of a byte loaded by position, not a load whose
        // address waits on the state the previous load gave (a chain of load latencies).
        let mut from = vec![0u8; n];
        // Each line after the first with its back-pointers, walked together (no index).
        for (&x, back) in p[1..].iter().zip(&mut from[1..]) {
            let e = [0.0, score(x)];
            let mut next = [0.0f32; 2];
            let mut code = 0u8;
            for s in 0..2 {
                let stay = best[s];
                let switch = best[1 - s] - self.switch_penalty;
                // The same choice and sums as before; the back-pointer bit is the state
                // the best path came from.
                let stays = stay >= switch;
                let from_score = if stays { stay } else { switch };
                next[s] = from_score + e[s];
                code |= u8::from(stays ^ (s == 0)) << s;
            }
            *back = code;
            best = next;
        }
        let mut state = u8::from(best[1] > best[0]);
        let mut keep = vec![false; n];
        for (k, &back) in keep.iter_mut().zip(&from).rev() {
            *k = state == 1;
            state = (back >> state) & 1;
        }
        keep
    }
}

/// Stage 1's and stage 2's sums over the stage-1 rows added so far (see
/// [`Model::row_sums`]): what [`Model::predict`] reads of the rows, taken a block at a
/// time, so that the rows themselves need not outlive their block.
pub(crate) struct RowSums<'m> {
    model: &'m Model,
    /// Stage 1's folded weights, and stage 2's over the stage-1 values.
    weights: [&'m [Splat]; 2],
    sums: [Vec<f32>; 2],
}

impl RowSums<'_> {
    /// Adds the sums of the next rows `x1` (whole rows, row-major).
    pub(crate) fn add(&mut self, x1: &[f32]) {
        head_sums_onto(x1, self.weights, &mut self.sums);
    }

    /// Adds the sums of the rows of the next `block` of lines: the same bits as
    /// [`RowSums::add`] of its rows.
    pub(crate) fn add_block(&mut self, block: &features::Block) {
        let w = self.weights.map(|w| -> &[Splat; features::STAGE1_WIDTH] {
            w.try_into()
                .expect("a weight per stage-1 value (Model::checked)")
        });
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the processor has AVX (tested just above).
            unsafe { block_sums_avx(block, w, &mut self.sums) };
            return;
        }
        block_sums(block, w, &mut self.sums);
    }

    /// The stage-2 probabilities of the rows added, as [`Model::predict`] gives them.
    pub(crate) fn predict(self) -> Vec<f32> {
        let [sums1, sums2] = self.sums;
        let p1 = self.model.stage1.finish(sums1, &[], 0);
        let extras = features::stage2_extras(&p1);
        self.model
            .stage2
            .finish(sums2, &extras, features::STAGE2_EXTRA)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_matches_the_features() {
        let json = include_str!("../models/line-classifier.json");
        Model::from_json(json).unwrap();
    }

    #[test]
    fn builtin_model_is_the_json_bit_for_bit() {
        // build.rs's constants are the file as `from_json` reads it: every number the
        // same bits (rustc rounds a literal once, serde_json through an f64).
        let json = Model::from_json(include_str!("../models/line-classifier.json")).unwrap();
        let built = Model::builtin();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for (a, b) in [(&built.stage1, &json.stage1), (&built.stage2, &json.stage2)] {
            assert_eq!(bits(&a.mean), bits(&b.mean));
            assert_eq!(bits(&a.scale), bits(&b.scale));
            assert_eq!(bits(&a.weights), bits(&b.weights));
            assert_eq!(a.bias.to_bits(), b.bias.to_bits());
        }
        assert_eq!(
            built.switch_penalty.to_bits(),
            json.switch_penalty.to_bits()
        );
        assert_eq!(built.threshold.to_bits(), json.threshold.to_bits());
        assert_eq!(built.trained_on, json.trained_on);
        assert!(!built.stage1.weights.is_empty() && built.stage1.weights.iter().any(|&w| w != 0.0));
    }

    #[test]
    fn predict_adds_as_iterator_sum_does_bit_for_bit() {
        let m = &Model::builtin().stage2;
        let width = m.weights.len();
        let values = [0.0, -0.0, 1.0, -1.5, 1e-7, 3.25e4, 0.1, -0.3];
        let Folded { b, splat } = m.folded();
        // Every number of rows left over after the blocks of four, and with AVX after the
        // blocks of eight (8k + 4..8k + 7: a block of four, then single rows).
        for rows in [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 44, 45, 46, 47, 50] {
            let x: Vec<f32> = (0..width * rows)
                .map(|i| values[(i * 7 + i / width) % values.len()])
                .collect();
            let expected: Vec<u32> = x
                .chunks_exact(width)
                .map(|row| {
                    let dot = row.iter().zip(splat).map(|(x, w)| x * w.0[0]).sum::<f32>();
                    sigmoid(b + dot).to_bits()
                })
                .collect();
            let got: Vec<u32> = m.predict(&x).iter().map(|p| p.to_bits()).collect();
            assert_eq!(got, expected, "{rows} rows");
        }
    }

    #[test]
    fn dot4_from_is_its_plain_code_bit_for_bit() {
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.5,
            1e-7,
            3.25e4,
            0.1,
            -0.3,
            0.7,
            f32::MIN_POSITIVE,
        ];
        let at = |i: usize| values[(i * 7 + i / 3) % values.len()];
        // Rows with and without values past the last whole group of four, two weight
        // vectors.
        for len in 0..13 {
            let rows: Vec<Vec<f32>> = (0..4)
                .map(|r| (0..len).map(|k| at(r * 31 + k)).collect())
                .collect();
            let w: Vec<Vec<Splat>> = (0..2)
                .map(|m| (0..len).map(|k| Splat([at(m * 17 + k + 5); 8])).collect())
                .collect();
            let acc = [[0.5, -0.0, 2.0, -3.0], [1e-3, 0.0, -1.0, 4.0]];
            let rows = [&rows[0][..], &rows[1][..], &rows[2][..], &rows[3][..]];
            let w = [&w[0][..], &w[1][..]];
            let bits = |a: [[f32; 4]; 2]| a.map(|l| l.map(f32::to_bits));
            assert_eq!(
                bits(dot4_from(acc, rows, w)),
                bits(dot4_from_plain(acc, rows, w)),
                "{len} values"
            );
        }
    }

    #[test]
    fn head_sums8_is_the_scalar_sums_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            let values = [0.0, -0.0, 1.0, -1.5, 1e-7, 3.25e4, 0.1, -0.3, 0.7];
            let at = |i: usize| values[(i * 7 + i / 5) % values.len()];
            // Rows with and without values past the last group of four; whole blocks of
            // eight rows and some left over (not scored here).
            for width in 1..14 {
                let w: Vec<Vec<Splat>> = (0..2)
                    .map(|m| (0..width).map(|k| Splat([at(m * 17 + k + 3); 8])).collect())
                    .collect();
                for rows in [0, 7, 8, 9, 16, 23] {
                    let x: Vec<f32> = (0..width * rows).map(|i| at(i + 11)).collect();
                    let mut out = [Vec::new(), Vec::new()];
                    // SAFETY: the processor has AVX (tested above).
                    let done = unsafe { head_sums8(&x, [&w[0][..], &w[1][..]], &mut out) };
                    let blocks = rows / 8 * 8;
                    assert_eq!(done, blocks, "{width} values, {rows} rows");
                    for (out, w) in out.iter().zip(&w) {
                        let want: Vec<u32> = x
                            .chunks_exact(width)
                            .take(blocks)
                            .map(|row| dot(-0.0, row, w).to_bits())
                            .collect();
                        let got: Vec<u32> = out.iter().map(|s| s.to_bits()).collect();
                        assert_eq!(got, want, "{width} values, {rows} rows");
                    }
                }
            }
        } else {
            eprintln!("head_sums8 untested: this processor has no AVX");
        }
        // (Off x86_64 there is no `head_sums8`, and this tests nothing.)
    }

    #[test]
    fn predict_split_is_predict_of_the_joined_rows_bit_for_bit() {
        let m = &Model::builtin().stage2;
        let width = m.weights.len();
        let extra = features::STAGE2_EXTRA;
        let values = [0.0, -0.0, 1.0, -1.5, 1e-7, 3.25e4, 0.1, -0.3, 0.7];
        // Ten blocks of four (five of eight with AVX) and one to three more; with AVX, also
        // a block of four after the blocks of eight and none to three more.
        for rows in [12, 13, 14, 15, 41, 42, 43, 44, 45, 46, 47] {
            let joined: Vec<f32> = (0..width * rows)
                .map(|i| values[(i * 5 + i / width) % values.len()])
                .collect();
            let (head, tail): (Vec<&[f32]>, Vec<&[f32]>) = joined
                .chunks_exact(width)
                .map(|r| r.split_at(width - extra))
                .unzip();
            let bits = |p: Vec<f32>| p.iter().map(|p| p.to_bits()).collect::<Vec<u32>>();
            assert_eq!(
                bits(m.predict_split(&head.concat(), &tail.concat(), extra)),
                bits(m.predict(&joined))
            );
        }
    }

    /// Stage 2's probabilities of rows `x1` as the scalar sums give them: each stage's sum
    /// over its joined row, left to right from -0.0, as `Iterator::sum` adds.
    fn two_stages_one_by_one(m: &Model, x1: &[f32]) -> Vec<u32> {
        let score = |lin: &Linear, row: &mut dyn Iterator<Item = f32>| {
            let Folded { b, splat } = lin.folded();
            let dot = row.zip(splat).map(|(x, w)| x * w.0[0]).sum::<f32>();
            sigmoid(b + dot)
        };
        let width = features::stage1_len();
        let p1: Vec<f32> = x1
            .chunks_exact(width)
            .map(|row| score(&m.stage1, &mut row.iter().copied()))
            .collect();
        let extras = features::stage2_extras(&p1);
        x1.chunks_exact(width)
            .zip(extras.chunks_exact(features::STAGE2_EXTRA))
            .map(|(row, extra)| score(&m.stage2, &mut row.iter().chain(extra).copied()).to_bits())
            .collect()
    }

    #[test]
    fn model_predict_is_the_two_stages_one_by_one_bit_for_bit() {
        let m = Model::builtin();
        let width = features::stage1_len();
        // Small values: the probabilities stay off 0 and 1, where a wrong sum would show.
        let values = [
            0.0, -0.0, 0.01, -0.015, 1e-7, 0.0325, 0.001, -0.003, 0.007, 0.025,
        ];
        // Every number of rows left over after the blocks of four, and with AVX after the
        // blocks of eight (8k + 4..8k + 7: a block of four, then single rows).
        for rows in [
            0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 41, 42, 43, 44, 45, 46, 47,
        ] {
            let x1: Vec<f32> = (0..width * rows)
                .map(|i| values[(i * 7 + i / width) % values.len()])
                .collect();
            let got: Vec<u32> = m.predict(&x1).iter().map(|p| p.to_bits()).collect();
            assert_eq!(got, two_stages_one_by_one(m, &x1), "{rows} rows");
        }
    }

    proptest::proptest! {
        #[test]
        fn model_predict_matches_the_scalar_sums(
            // Up to two blocks of eight (with AVX), a block of four and single rows.
            rows in 0usize..24,
            seed in proptest::collection::vec(-2f32..2.0, 1..64),
        ) {
            let m = Model::builtin();
            let width = features::stage1_len();
            let x1: Vec<f32> = (0..width * rows).map(|i| seed[i % seed.len()] / (1 + i % 5) as f32).collect();
            let got: Vec<u32> = m.predict(&x1).iter().map(|p| p.to_bits()).collect();
            proptest::prop_assert_eq!(got, two_stages_one_by_one(m, &x1));
        }
    }

    #[test]
    fn row_sums_by_blocks_are_predict_of_the_whole_bit_for_bit() {
        // Rows given in blocks of any size (whole blocks of eight, four or single rows, or
        // split across them) score as the whole matrix does.
        let m = Model::builtin();
        let width = features::stage1_len();
        let values = [0.0, -0.0, 0.01, -0.015, 1e-7, 0.0325, 0.001, -0.003, 0.007];
        let rows = 150;
        let x1: Vec<f32> = (0..width * rows)
            .map(|i| values[(i * 7 + i / width) % values.len()])
            .collect();
        let bits = |p: Vec<f32>| p.iter().map(|p| p.to_bits()).collect::<Vec<u32>>();
        let want = bits(m.predict(&x1));
        assert_eq!(want.len(), rows);
        for block in [1, 3, 4, 5, 8, 13, 64, 149, 150] {
            let mut sums = m.row_sums(rows);
            for rows in x1.chunks(block * width) {
                sums.add(rows);
            }
            assert_eq!(bits(sums.predict()), want, "blocks of {block}");
        }
    }

    #[test]
    fn row_sums_of_blocks_are_those_of_the_rows_bit_for_bit() {
        use crate::features::{stage1, stage1_blocks, LineContext};
        let m = Model::builtin();
        let ctx = |i: usize| LineContext {
            rule: i % 3 == 0,
            title_overlap: (i % 4) as f32 / 4.0,
            comments_rule: i == 90,
            related_rule: i % 17 == 5,
        };
        // Pages of one group of lines or a part of one, of whole blocks and of blocks and a
        // part; the short ones after the long, whose values then fill the lanes past their
        // lines.
        for lines in [150, 1, 5, 16, 17, 64, 65, 200, 3] {
            let text: String = (0..lines)
                .map(|i| match i % 5 {
                    0 => "Menu\n\n".to_string(),
                    1 | 3 => format!("A sentence of some length, number {i}, that ends here.\n"),
                    _ => format!("Item {i}: {}\n", "word ".repeat(i % 13)),
                })
                .collect();
            let doc = crate::segment::segment(&text);
            let n = doc.lines.len();
            let bits = |p: &[f32]| p.iter().map(|p| p.to_bits()).collect::<Vec<u32>>();
            let x1 = stage1(&doc, ctx);
            let want = m.row_sums(n);
            let mut want = want;
            want.add(&x1);
            let [want1, want2] = &want.sums;
            assert_eq!(want1.len(), n);
            // As the classifier scores them (with AVX where the processor has it), and by
            // the portable code.
            let mut sums = m.row_sums(n);
            stage1_blocks(&doc, ctx, |block| sums.add_block(block));
            let mut portable = m.row_sums(n);
            stage1_blocks(&doc, ctx, |block| {
                let w = portable.weights.map(|w| w.try_into().unwrap());
                block_sums(block, w, &mut portable.sums);
            });
            for got in [&sums.sums, &portable.sums] {
                assert_eq!(bits(&got[0]), bits(want1), "{lines} lines");
                assert_eq!(bits(&got[1]), bits(want2), "{lines} lines");
            }
            assert_eq!(
                bits(&sums.predict()),
                bits(&m.predict(&x1)),
                "{lines} lines"
            );
        }
    }

    #[test]
    fn fit_separates_a_separable_problem() {
        // Label is 1 when the first feature is positive; the second is noise.
        let x: Vec<f32> = (0..200)
            .flat_map(|i| [(i as f32 - 100.0) / 10.0, ((i * 7) % 13) as f32])
            .collect();
        let y: Vec<f32> = (0..200).map(|i| if i >= 100 { 1.0 } else { 0.0 }).collect();
        let model = Linear::fit(&x, &y, &vec![1.0; 200], 1e-4, 300);
        let p = model.predict(&x);
        let correct = p
            .iter()
            .zip(&y)
            .filter(|(p, y)| (**p >= 0.5) == (**y == 1.0))
            .count();
        assert!(correct >= 195, "{correct}");
    }

    /// The Viterbi walk as first written: a branch per state and line, two back-pointer
    /// bytes per line, and a walk back that loads by the state.
    fn smooth_reference(m: &Model, p: &[f32]) -> Vec<bool> {
        let n = p.len();
        if m.switch_penalty <= 0.0 || n == 0 {
            return p.iter().map(|&x| x >= m.threshold).collect();
        }
        let bias = (m.threshold / (1.0 - m.threshold)).ln();
        let score = |x: f32| {
            let x = x.clamp(1e-4, 1.0 - 1e-4);
            (x / (1.0 - x)).ln() - bias
        };
        let mut best = [0.0f32, score(p[0])];
        let mut from = vec![[0u8; 2]; n];
        for i in 1..n {
            let e = [0.0, score(p[i])];
            let mut next = [0.0f32; 2];
            for s in 0..2 {
                let stay = best[s];
                let switch = best[1 - s] - m.switch_penalty;
                if stay >= switch {
                    next[s] = stay + e[s];
                    from[i][s] = s as u8;
                } else {
                    next[s] = switch + e[s];
                    from[i][s] = (1 - s) as u8;
                }
            }
            best = next;
        }
        let mut state = if best[1] > best[0] { 1 } else { 0 };
        let mut keep = vec![false; n];
        for i in (0..n).rev() {
            keep[i] = state == 1;
            state = from[i][state] as usize;
        }
        keep
    }

    proptest::proptest! {
        #[test]
        fn smooth_matches_the_branching_walk(
            p in proptest::collection::vec(
                proptest::prop_oneof![0f32..1.0, proptest::strategy::Just(0.5f32), proptest::strategy::Just(0.0f32)],
                0..80,
            ),
            penalty in proptest::prop_oneof![0.0f32..6.0, proptest::strategy::Just(0.0f32)],
            threshold in 0.05f32..0.95,
        ) {
            let m = Model {
                trained_on: String::new(),
                stage1: Linear::new(vec![], vec![], vec![], 0.0),
                stage2: Linear::new(vec![], vec![], vec![], 0.0),
                switch_penalty: penalty,
                threshold,
            };
            proptest::prop_assert_eq!(m.smooth(&p), smooth_reference(&m, &p));
        }
    }

    #[test]
    fn smoothing_removes_isolated_flips() {
        let m = Model {
            trained_on: String::new(),
            stage1: Linear::new(vec![], vec![], vec![], 0.0),
            stage2: Linear::new(vec![], vec![], vec![], 0.0),
            switch_penalty: 3.0,
            threshold: 0.5,
        };
        let p = [0.9, 0.9, 0.4, 0.9, 0.9, 0.1, 0.1, 0.1];
        assert_eq!(
            m.smooth(&p),
            [true, true, true, true, true, false, false, false]
        );
        let m0 = Model {
            switch_penalty: 0.0,
            ..m
        };
        assert!(!m0.smooth(&p)[2]);
    }
}
