// Per-node activation statistic of x viewed as [N, C, S] (node = c): mean value or fraction above threshold.
import { FEATURE_BLOCK, channelSum, featurePairSum, narrowPair, promoteHigh, promoteLow } from './moments';
import { rangeEnd, rangeStart } from './partition';

const MEAN = 0;

/**
 * stat[c] = mean of x[n, c, s] over n and s (mode 0, accumulated in f64), or the fraction of those entries strictly
 * greater than threshold (mode 1, counted exactly, then divided once). Channels are split across threads and each is
 * computed in an order fixed by (N, S), so the result does not depend on the thread count. [N, C] inputs (S = 1) are
 * read sixteen features at a time, one cache line per row.
 */
export function nodeStatistic(x: usize, stat: usize, N: i32, C: i32, S: i32, mode: i32, threshold: f32, tid: i32, threads: i32): void {
  const granule = S == 1 ? FEATURE_BLOCK : 1;
  const first = rangeStart(C, tid, threads, granule);
  const last = rangeEnd(C, tid, threads, granule);
  const count = <f64>N * <f64>S;
  const counts = f64x2.splat(count);
  let c = first;
  if (mode == MEAN) {
    if (S == 1) {
      for (; c + FEATURE_BLOCK <= last; c += FEATURE_BLOCK) featureBlockMeans(x, stat, N, C, c, count);
      for (; c + 2 <= last; c += 2) {
        v128.store64_lane(stat + ((<usize>c) << 2), f32x4.demote_f64x2_zero(f64x2.div(featurePairSum(x, N, C, c), counts)), 0);
      }
    }
    for (; c < last; c++) store<f32>(stat + ((<usize>c) << 2), <f32>(channelSum(x, N, C, S, c) / count));
    return;
  }
  if (S == 1) {
    for (; c + FEATURE_BLOCK <= last; c += FEATURE_BLOCK) featureBlockFractions(x, stat, N, C, c, threshold, count);
  }
  for (; c < last; c++) {
    store<f32>(stat + ((<usize>c) << 2), <f32>(<f64>channelCountAbove(x, N, C, S, c, threshold) / count));
  }
}

/** stat[c..c+16) = mean over n of x[n, c + k] for an [N, C] input, each lane adding in order of n in f64. */
function featureBlockMeans(x: usize, stat: usize, N: i32, C: i32, c: i32, count: f64): void {
  const stride = (<usize>C) << 2;
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  let s4 = s0;
  let s5 = s0;
  let s6 = s0;
  let s7 = s0;
  for (let n = 0, p = x + ((<usize>c) << 2); n < N; n++, p += stride) {
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    s0 = f64x2.add(s0, promoteLow(v0));
    s1 = f64x2.add(s1, promoteHigh(v0));
    s2 = f64x2.add(s2, promoteLow(v1));
    s3 = f64x2.add(s3, promoteHigh(v1));
    s4 = f64x2.add(s4, promoteLow(v2));
    s5 = f64x2.add(s5, promoteHigh(v2));
    s6 = f64x2.add(s6, promoteLow(v3));
    s7 = f64x2.add(s7, promoteHigh(v3));
  }
  const counts = f64x2.splat(count);
  const out = stat + ((<usize>c) << 2);
  v128.store(out, narrowPair(f64x2.div(s0, counts), f64x2.div(s1, counts)));
  v128.store(out, narrowPair(f64x2.div(s2, counts), f64x2.div(s3, counts)), 16);
  v128.store(out, narrowPair(f64x2.div(s4, counts), f64x2.div(s5, counts)), 32);
  v128.store(out, narrowPair(f64x2.div(s6, counts), f64x2.div(s7, counts)), 48);
}

/** stat[c..c+16) = fraction of n with x[n, c + k] > threshold for an [N, C] input. */
function featureBlockFractions(x: usize, stat: usize, N: i32, C: i32, c: i32, threshold: f32, count: f64): void {
  const stride = (<usize>C) << 2;
  const limit = f32x4.splat(threshold);
  // A true comparison is all ones (-1 as an integer), so subtracting it counts up.
  let a0 = i32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  for (let n = 0, p = x + ((<usize>c) << 2); n < N; n++, p += stride) {
    a0 = i32x4.sub(a0, f32x4.gt(v128.load(p), limit));
    a1 = i32x4.sub(a1, f32x4.gt(v128.load(p, 16), limit));
    a2 = i32x4.sub(a2, f32x4.gt(v128.load(p, 32), limit));
    a3 = i32x4.sub(a3, f32x4.gt(v128.load(p, 48), limit));
  }
  const out = stat + ((<usize>c) << 2);
  const counts = f64x2.splat(count);
  v128.store(out, fractions(a0, counts));
  v128.store(out, fractions(a1, counts), 16);
  v128.store(out, fractions(a2, counts), 32);
  v128.store(out, fractions(a3, counts), 48);
}

/** Four integer counts divided by `counts` in f64 and rounded to f32, as the scalar path does one at a time. */
// @ts-ignore: decorator
@inline
function fractions(above: v128, counts: v128): v128 {
  const low = f64x2.div(f64x2.convert_low_i32x4_s(above), counts);
  const high = f64x2.div(f64x2.convert_low_i32x4_s(i32x4.shuffle(above, above, 2, 3, 0, 1)), counts);
  return narrowPair(low, high);
}

/** How many x[n, c, s] over n and s are strictly greater than threshold. */
function channelCountAbove(x: usize, N: i32, C: i32, S: i32, c: i32, threshold: f32): i32 {
  const limit = f32x4.splat(threshold);
  let lanes = i32x4.splat(0);
  let rest = 0;
  for (let n = 0; n < N; n++) {
    const run = x + ((<usize>(n * C + c) * <usize>S) << 2);
    let s = 0;
    for (; s + 4 <= S; s += 4) lanes = i32x4.sub(lanes, f32x4.gt(v128.load(run + ((<usize>s) << 2)), limit));
    for (; s < S; s++) rest += i32(load<f32>(run + ((<usize>s) << 2)) > threshold);
  }
  return i32x4.extract_lane(lanes, 0) + i32x4.extract_lane(lanes, 1) + i32x4.extract_lane(lanes, 2) + i32x4.extract_lane(lanes, 3) + rest;
}
