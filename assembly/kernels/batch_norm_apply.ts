// Batch-norm apply over x viewed as [N, C, S]: normalize with given per-channel statistics, then scale and shift.
import { rangeEnd, rangeStart } from './partition';

/** Rows of an [N, F] input that share one computation of the per-feature factors. */
const ROW_TILE = 16;
/** Runs of at least this many elements amortize their channel's factor on their own. */
const LONG_RUN = 64;

/**
 * out[n, c, s] = (x[n, c, s] - mean[c]) * k[c] + beta[c] with k[c] = gamma[c] / sqrt(variance[c] + eps), all in f32
 * (the same operations in the f32x4 and scalar paths, so any thread split gives the same bits).
 *  - S >= 64: threads split the flat element range; each run of S elements computes its channel's k and applies it
 *    in f32x4 lanes.
 *  - 1 < S < 64: threads split the rows; four channels' k are computed together in f32x4 lanes, then their runs.
 *  - S = 1 ([N, F] inputs): threads split the rows, taken sixteen at a time; each block of sixteen features computes
 *    its k once per tile of rows, so the division and square root are amortized.
 */
export function batchNormApply(
  x: usize,
  mean: usize,
  variance: usize,
  gamma: usize,
  beta: usize,
  out: usize,
  N: i32,
  C: i32,
  S: i32,
  eps: f32,
  tid: i32,
  threads: i32,
): void {
  if (S == 1) {
    const first = rangeStart(N, tid, threads);
    const last = rangeEnd(N, tid, threads);
    for (let r = first; r < last; r += ROW_TILE) {
      const rows = x + ((<usize>r * C) << 2);
      const outRows = out + ((<usize>r * C) << 2);
      const count = min(ROW_TILE, last - r);
      let c = 0;
      for (; c + 16 <= C; c += 16) normalizeFeatureBlock(rows, outRows, count, C, c, mean, variance, gamma, beta, eps);
      for (; c + 4 <= C; c += 4) normalizeFeatureQuad(rows, outRows, count, C, c, mean, variance, gamma, beta, eps);
      for (; c < C; c++) normalizeFeature(rows, outRows, count, C, c, mean, variance, gamma, beta, eps);
    }
    return;
  }
  if (S < LONG_RUN) {
    const first = rangeStart(N, tid, threads);
    const last = rangeEnd(N, tid, threads);
    const runBytes = (<usize>S) << 2;
    for (let n = first; n < last; n++) {
      let p = x + ((<usize>n * C * S) << 2);
      let q = out + ((<usize>n * C * S) << 2);
      let c = 0;
      for (; c + 4 <= C; c += 4, p += 4 * runBytes, q += 4 * runBytes) {
        const offset = (<usize>c) << 2;
        const m = v128.load(mean + offset);
        const k = factors(variance, gamma, offset, eps);
        const b = v128.load(beta + offset);
        normalizeRun(p, q, S, f32x4.extract_lane(m, 0), f32x4.extract_lane(k, 0), f32x4.extract_lane(b, 0));
        normalizeRun(p + runBytes, q + runBytes, S, f32x4.extract_lane(m, 1), f32x4.extract_lane(k, 1), f32x4.extract_lane(b, 1));
        normalizeRun(p + 2 * runBytes, q + 2 * runBytes, S, f32x4.extract_lane(m, 2), f32x4.extract_lane(k, 2), f32x4.extract_lane(b, 2));
        normalizeRun(p + 3 * runBytes, q + 3 * runBytes, S, f32x4.extract_lane(m, 3), f32x4.extract_lane(k, 3), f32x4.extract_lane(b, 3));
      }
      for (; c < C; c++, p += runBytes, q += runBytes) {
        const offset = (<usize>c) << 2;
        const k = load<f32>(gamma + offset) / sqrt<f32>(load<f32>(variance + offset) + eps);
        normalizeRun(p, q, S, load<f32>(mean + offset), k, load<f32>(beta + offset));
      }
    }
    return;
  }
  const size = N * C * S;
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  if (start >= end) return;
  let i = start;
  const row = start / S;
  let c = row % C;
  let position = start - row * S;
  while (i < end) {
    const run = min(end - i, S - position);
    const offset = (<usize>c) << 2;
    const k = load<f32>(gamma + offset) / sqrt<f32>(load<f32>(variance + offset) + eps);
    normalizeRun(x + ((<usize>i) << 2), out + ((<usize>i) << 2), run, load<f32>(mean + offset), k, load<f32>(beta + offset));
    i += run;
    position = 0;
    if (++c == C) c = 0;
  }
}

/** out[j] = (x[j] - m) * k + b for j < count. */
// @ts-ignore: decorator
@inline
function normalizeRun(x: usize, out: usize, count: i32, m: f32, k: f32, b: f32): void {
  const ms = f32x4.splat(m);
  const ks = f32x4.splat(k);
  const bs = f32x4.splat(b);
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const offset = (<usize>j) << 2;
    v128.store(out + offset, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + offset), ms), ks), bs));
  }
  for (; j < count; j++) {
    const offset = (<usize>j) << 2;
    store<f32>(out + offset, (load<f32>(x + offset) - m) * k + b);
  }
}

/** gamma / sqrt(variance + eps) for features c..c+3. */
// @ts-ignore: decorator
@inline
function factors(variance: usize, gamma: usize, offset: usize, eps: f32): v128 {
  return f32x4.div(v128.load(gamma + offset), f32x4.sqrt(f32x4.add(v128.load(variance + offset), f32x4.splat(eps))));
}

/** (x - m) * k + b, lanewise. */
// @ts-ignore: decorator
@inline
function normalize(values: v128, m: v128, k: v128, b: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.sub(values, m), k), b);
}

/** Features c..c+15 of `count` rows of an [N, C] input. */
function normalizeFeatureBlock(
  x: usize,
  out: usize,
  count: i32,
  C: i32,
  c: i32,
  mean: usize,
  variance: usize,
  gamma: usize,
  beta: usize,
  eps: f32,
): void {
  const offset = (<usize>c) << 2;
  const m0 = v128.load(mean + offset);
  const m1 = v128.load(mean + offset, 16);
  const m2 = v128.load(mean + offset, 32);
  const m3 = v128.load(mean + offset, 48);
  const k0 = factors(variance, gamma, offset, eps);
  const k1 = factors(variance, gamma, offset + 16, eps);
  const k2 = factors(variance, gamma, offset + 32, eps);
  const k3 = factors(variance, gamma, offset + 48, eps);
  const b0 = v128.load(beta + offset);
  const b1 = v128.load(beta + offset, 16);
  const b2 = v128.load(beta + offset, 32);
  const b3 = v128.load(beta + offset, 48);
  const stride = (<usize>C) << 2;
  for (let n = 0, p = x + offset, q = out + offset; n < count; n++, p += stride, q += stride) {
    v128.store(q, normalize(v128.load(p), m0, k0, b0));
    v128.store(q, normalize(v128.load(p, 16), m1, k1, b1), 16);
    v128.store(q, normalize(v128.load(p, 32), m2, k2, b2), 32);
    v128.store(q, normalize(v128.load(p, 48), m3, k3, b3), 48);
  }
}

/** Features c..c+3 of `count` rows of an [N, C] input. */
function normalizeFeatureQuad(
  x: usize,
  out: usize,
  count: i32,
  C: i32,
  c: i32,
  mean: usize,
  variance: usize,
  gamma: usize,
  beta: usize,
  eps: f32,
): void {
  const offset = (<usize>c) << 2;
  const m = v128.load(mean + offset);
  const k = factors(variance, gamma, offset, eps);
  const b = v128.load(beta + offset);
  const stride = (<usize>C) << 2;
  for (let n = 0, p = x + offset, q = out + offset; n < count; n++, p += stride, q += stride) {
    v128.store(q, normalize(v128.load(p), m, k, b));
  }
}

/** Feature c of `count` rows of an [N, C] input, in scalar f32 with the same operations as the lanes. */
function normalizeFeature(
  x: usize,
  out: usize,
  count: i32,
  C: i32,
  c: i32,
  mean: usize,
  variance: usize,
  gamma: usize,
  beta: usize,
  eps: f32,
): void {
  const offset = (<usize>c) << 2;
  const m = load<f32>(mean + offset);
  const k = load<f32>(gamma + offset) / sqrt<f32>(load<f32>(variance + offset) + eps);
  const b = load<f32>(beta + offset);
  const stride = (<usize>C) << 2;
  for (let n = 0, p = x + offset, q = out + offset; n < count; n++, p += stride, q += stride) {
    store<f32>(q, (load<f32>(p) - m) * k + b);
  }
}
