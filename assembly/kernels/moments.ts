// Per-channel mean and biased variance of x viewed as [N, C, S]: two passes in f64, channels split across threads.
import { rangeEnd, rangeStart } from './partition';

/** Features per block when S is 1: one 64-byte cache line of each row, so strided rows are read whole. */
export const FEATURE_BLOCK = 16;

/**
 * mean[c] = Σ x[n, c, s] / (N*S), variance[c] = Σ (x[n, c, s] - mean[c])² / (N*S), both accumulated in f64 (the
 * second pass around the f64 mean, so there is no cancellation). Each channel is computed by one thread in an order
 * fixed by (N, S), so the result does not depend on the thread count. [N, C] inputs (S = 1) are read sixteen features
 * at a time, one cache line per row, each feature's lane still adding in order of n.
 */
export function moments(x: usize, mean: usize, variance: usize, N: i32, C: i32, S: i32, tid: i32, threads: i32): void {
  const granule = S == 1 ? FEATURE_BLOCK : 1;
  const first = rangeStart(C, tid, threads, granule);
  const last = rangeEnd(C, tid, threads, granule);
  const count = <f64>N * <f64>S;
  let c = first;
  if (S == 1) {
    for (; c + FEATURE_BLOCK <= last; c += FEATURE_BLOCK) featureBlockMoments(x, mean, variance, N, C, c, count);
    const counts = f64x2.splat(count);
    for (; c + 2 <= last; c += 2) {
      const means = f64x2.div(featurePairSum(x, N, C, c), counts);
      const variances = f64x2.div(featurePairSquaredDeviations(x, N, C, c, means), counts);
      v128.store64_lane(mean + ((<usize>c) << 2), f32x4.demote_f64x2_zero(means), 0);
      v128.store64_lane(variance + ((<usize>c) << 2), f32x4.demote_f64x2_zero(variances), 0);
    }
  }
  for (; c < last; c++) {
    const m = channelSum(x, N, C, S, c) / count;
    store<f32>(mean + ((<usize>c) << 2), <f32>m);
    store<f32>(variance + ((<usize>c) << 2), <f32>(channelSquaredDeviations(x, N, C, S, c, m) / count));
  }
}

/** Mean and variance of features c..c+15 of an [N, C] input: eight f64x2 lanes per pass, each adding in order of n. */
function featureBlockMoments(x: usize, mean: usize, variance: usize, N: i32, C: i32, c: i32, count: f64): void {
  const stride = (<usize>C) << 2;
  const top = x + ((<usize>c) << 2);
  let s0 = f64x2.splat(0);
  let s1 = s0;
  let s2 = s0;
  let s3 = s0;
  let s4 = s0;
  let s5 = s0;
  let s6 = s0;
  let s7 = s0;
  for (let n = 0, p = top; n < N; n++, p += stride) {
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
  const m0 = f64x2.div(s0, counts);
  const m1 = f64x2.div(s1, counts);
  const m2 = f64x2.div(s2, counts);
  const m3 = f64x2.div(s3, counts);
  const m4 = f64x2.div(s4, counts);
  const m5 = f64x2.div(s5, counts);
  const m6 = f64x2.div(s6, counts);
  const m7 = f64x2.div(s7, counts);
  const means = mean + ((<usize>c) << 2);
  v128.store(means, narrowPair(m0, m1));
  v128.store(means, narrowPair(m2, m3), 16);
  v128.store(means, narrowPair(m4, m5), 32);
  v128.store(means, narrowPair(m6, m7), 48);
  let q0 = f64x2.splat(0);
  let q1 = q0;
  let q2 = q0;
  let q3 = q0;
  let q4 = q0;
  let q5 = q0;
  let q6 = q0;
  let q7 = q0;
  for (let n = 0, p = top; n < N; n++, p += stride) {
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    q0 = addSquare(q0, f64x2.sub(promoteLow(v0), m0));
    q1 = addSquare(q1, f64x2.sub(promoteHigh(v0), m1));
    q2 = addSquare(q2, f64x2.sub(promoteLow(v1), m2));
    q3 = addSquare(q3, f64x2.sub(promoteHigh(v1), m3));
    q4 = addSquare(q4, f64x2.sub(promoteLow(v2), m4));
    q5 = addSquare(q5, f64x2.sub(promoteHigh(v2), m5));
    q6 = addSquare(q6, f64x2.sub(promoteLow(v3), m6));
    q7 = addSquare(q7, f64x2.sub(promoteHigh(v3), m7));
  }
  const variances = variance + ((<usize>c) << 2);
  v128.store(variances, narrowPair(f64x2.div(q0, counts), f64x2.div(q1, counts)));
  v128.store(variances, narrowPair(f64x2.div(q2, counts), f64x2.div(q3, counts)), 16);
  v128.store(variances, narrowPair(f64x2.div(q4, counts), f64x2.div(q5, counts)), 32);
  v128.store(variances, narrowPair(f64x2.div(q6, counts), f64x2.div(q7, counts)), 48);
}

/**
 * Σ over n and s of x[n, c, s] in f64. When S is 1 the terms are added in order of n, exactly as the feature-block
 * and feature-pair sums add each of their lanes, so every path gives the same bits for a channel.
 */
export function channelSum(x: usize, N: i32, C: i32, S: i32, c: i32): f64 {
  let low = f64x2.splat(0);
  let high = f64x2.splat(0);
  let rest: f64 = 0;
  for (let n = 0; n < N; n++) {
    const run = x + ((<usize>(n * C + c) * <usize>S) << 2);
    let s = 0;
    for (; s + 4 <= S; s += 4) {
      const values = v128.load(run + ((<usize>s) << 2));
      low = f64x2.add(low, promoteLow(values));
      high = f64x2.add(high, promoteHigh(values));
    }
    for (; s < S; s++) rest += <f64>load<f32>(run + ((<usize>s) << 2));
  }
  if (S < 4) return rest;
  const both = f64x2.add(low, high);
  return f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1) + rest;
}

/** Σ over n and s of (x[n, c, s] - m)² in f64, in the same order as channelSum. */
export function channelSquaredDeviations(x: usize, N: i32, C: i32, S: i32, c: i32, m: f64): f64 {
  const centre = f64x2.splat(m);
  let low = f64x2.splat(0);
  let high = f64x2.splat(0);
  let rest: f64 = 0;
  for (let n = 0; n < N; n++) {
    const run = x + ((<usize>(n * C + c) * <usize>S) << 2);
    let s = 0;
    for (; s + 4 <= S; s += 4) {
      const values = v128.load(run + ((<usize>s) << 2));
      low = addSquare(low, f64x2.sub(promoteLow(values), centre));
      high = addSquare(high, f64x2.sub(promoteHigh(values), centre));
    }
    for (; s < S; s++) {
      const d = <f64>load<f32>(run + ((<usize>s) << 2)) - m;
      rest += d * d;
    }
  }
  if (S < 4) return rest;
  const both = f64x2.add(low, high);
  return f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1) + rest;
}

/** For [N, C] inputs: the f64 sums over n of features c and c + 1, as an f64x2, each lane added in order of n. */
// @ts-ignore: decorator
@inline
export function featurePairSum(x: usize, N: i32, C: i32, c: i32): v128 {
  let sums = f64x2.splat(0);
  for (let n = 0; n < N; n++) {
    sums = f64x2.add(sums, promoteLow(v128.load64_zero(x + ((<usize>(n * C + c)) << 2))));
  }
  return sums;
}

/** For [N, C] inputs: Σ over n of (x[n, c + k] - means[k])² for k = 0, 1, as an f64x2. */
// @ts-ignore: decorator
@inline
function featurePairSquaredDeviations(x: usize, N: i32, C: i32, c: i32, means: v128): v128 {
  let sums = f64x2.splat(0);
  for (let n = 0; n < N; n++) {
    sums = addSquare(sums, f64x2.sub(promoteLow(v128.load64_zero(x + ((<usize>(n * C + c)) << 2))), means));
  }
  return sums;
}

/** Lanes 0 and 1 of an f32x4 as an f64x2. */
// @ts-ignore: decorator
@inline
export function promoteLow(values: v128): v128 {
  return f64x2.promote_low_f32x4(values);
}

/** Lanes 2 and 3 of an f32x4 as an f64x2. */
// @ts-ignore: decorator
@inline
export function promoteHigh(values: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(values, values, 2, 3, 0, 1));
}

/** Rounds two f64x2 to f32 and packs them as one f32x4 (low pair first). */
// @ts-ignore: decorator
@inline
export function narrowPair(low: v128, high: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 1, 4, 5);
}

/** sums + d * d, lanewise (a multiply, then an add: no fused rounding). */
// @ts-ignore: decorator
@inline
function addSquare(sums: v128, d: v128): v128 {
  return f64x2.add(sums, f64x2.mul(d, d));
}
