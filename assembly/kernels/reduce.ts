// Reduction of x viewed as [outer, R, inner] over R to [outer, inner]: sum, mean or max; outputs split across threads.
import { rangeEnd, rangeStart } from './partition';

const SUM = 0;
const MEAN = 1;
const MAX = 2;

/**
 * out[o, i] = Σ, mean or max over r of x[o, r, i]. Sums accumulate in f64 and mean divides the f64 sum by R before
 * rounding; max propagates NaN. Threads split the outputs, never R, and each output is accumulated in an order fixed
 * by (R, inner) alone, so any thread count gives the same bits.
 *  - inner == 1: each output reduces a contiguous run of R values, f32x4 loads into four f64x2 (or f32x4 max) lanes.
 *  - inner > 1: sixteen, four or one neighbouring outputs are reduced together, one row of x at a time, each lane
 *    adding its terms in order of r (so the block width does not change the result).
 */
export function reduce(x: usize, out: usize, outer: i32, R: i32, inner: i32, op: i32, tid: i32, threads: i32): void {
  if (op != SUM && op != MEAN && op != MAX) unreachable();
  const divisor: f64 = op == MEAN ? <f64>R : 1;
  if (inner == 1) {
    const first = rangeStart(outer, tid, threads);
    const last = rangeEnd(outer, tid, threads);
    for (let o = first; o < last; o++) {
      const run = x + ((<usize>o * R) << 2);
      const value = op == MAX ? maxOfRun(run, R) : <f32>(sumOfRun(run, R) / divisor);
      store<f32>(out + ((<usize>o) << 2), value);
    }
    return;
  }
  const size = outer * inner;
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  if (start >= end) return;
  let i = start;
  let o = start / inner;
  let position = start - o * inner;
  while (i < end) {
    const count = min(end - i, inner - position);
    const columns = x + (((<usize>o * R) * inner + position) << 2);
    const target = out + ((<usize>i) << 2);
    if (op == MAX) maxOfColumns(columns, target, count, R, inner);
    else sumOfColumns(columns, target, count, R, inner, divisor);
    i += count;
    position = 0;
    o++;
  }
}

/** Σ run[0..R) in f64: eight f32 values per step into four f64x2 accumulators, then fours, then singles. */
function sumOfRun(run: usize, R: i32): f64 {
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  let c = f64x2.splat(0);
  let d = f64x2.splat(0);
  let r = 0;
  for (; r + 8 <= R; r += 8) {
    const p = run + ((<usize>r) << 2);
    const first = v128.load(p);
    const second = v128.load(p, 16);
    a = f64x2.add(a, f64x2.promote_low_f32x4(first));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(first, first, 2, 3, 0, 1)));
    c = f64x2.add(c, f64x2.promote_low_f32x4(second));
    d = f64x2.add(d, f64x2.promote_low_f32x4(v128.shuffle<f32>(second, second, 2, 3, 0, 1)));
  }
  if (r + 4 <= R) {
    const values = v128.load(run + ((<usize>r) << 2));
    a = f64x2.add(a, f64x2.promote_low_f32x4(values));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(values, values, 2, 3, 0, 1)));
    r += 4;
  }
  const lanes = f64x2.add(f64x2.add(a, b), f64x2.add(c, d));
  let sum = f64x2.extract_lane(lanes, 0) + f64x2.extract_lane(lanes, 1);
  for (; r < R; r++) sum += <f64>load<f32>(run + ((<usize>r) << 2));
  return sum;
}

/** max of run[0..R): sixteen values per step into four f32x4 maxima, then fours, then singles. */
function maxOfRun(run: usize, R: i32): f32 {
  let a = f32x4.splat(f32.NEGATIVE_INFINITY);
  let b = a;
  let c = a;
  let d = a;
  let r = 0;
  for (; r + 16 <= R; r += 16) {
    const p = run + ((<usize>r) << 2);
    a = f32x4.max(a, v128.load(p));
    b = f32x4.max(b, v128.load(p, 16));
    c = f32x4.max(c, v128.load(p, 32));
    d = f32x4.max(d, v128.load(p, 48));
  }
  for (; r + 4 <= R; r += 4) a = f32x4.max(a, v128.load(run + ((<usize>r) << 2)));
  const lanes = f32x4.max(f32x4.max(a, b), f32x4.max(c, d));
  let maximum = max(max(f32x4.extract_lane(lanes, 0), f32x4.extract_lane(lanes, 1)), max(f32x4.extract_lane(lanes, 2), f32x4.extract_lane(lanes, 3)));
  for (; r < R; r++) maximum = max(maximum, load<f32>(run + ((<usize>r) << 2)));
  return maximum;
}

/** out[j] = Σ over r of columns[r * inner + j], divided by divisor, for j < count; f64 lanes summed in order of r. */
function sumOfColumns(columns: usize, out: usize, count: i32, R: i32, inner: i32, divisor: f64): void {
  const stride = (<usize>inner) << 2;
  const divisors = f64x2.splat(divisor);
  let j = 0;
  for (; j + 16 <= count; j += 16) {
    const top = columns + ((<usize>j) << 2);
    let s0 = f64x2.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    let s4 = s0;
    let s5 = s0;
    let s6 = s0;
    let s7 = s0;
    for (let r = 0, p = top; r < R; r++, p += stride) {
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v0));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v0, v0, 2, 3, 0, 1)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(v1));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(v128.shuffle<f32>(v1, v1, 2, 3, 0, 1)));
      s4 = f64x2.add(s4, f64x2.promote_low_f32x4(v2));
      s5 = f64x2.add(s5, f64x2.promote_low_f32x4(v128.shuffle<f32>(v2, v2, 2, 3, 0, 1)));
      s6 = f64x2.add(s6, f64x2.promote_low_f32x4(v3));
      s7 = f64x2.add(s7, f64x2.promote_low_f32x4(v128.shuffle<f32>(v3, v3, 2, 3, 0, 1)));
    }
    const target = out + ((<usize>j) << 2);
    v128.store(target, narrowPair(f64x2.div(s0, divisors), f64x2.div(s1, divisors)));
    v128.store(target, narrowPair(f64x2.div(s2, divisors), f64x2.div(s3, divisors)), 16);
    v128.store(target, narrowPair(f64x2.div(s4, divisors), f64x2.div(s5, divisors)), 32);
    v128.store(target, narrowPair(f64x2.div(s6, divisors), f64x2.div(s7, divisors)), 48);
  }
  for (; j + 4 <= count; j += 4) {
    let low = f64x2.splat(0);
    let high = low;
    for (let r = 0, p = columns + ((<usize>j) << 2); r < R; r++, p += stride) {
      const v = v128.load(p);
      low = f64x2.add(low, f64x2.promote_low_f32x4(v));
      high = f64x2.add(high, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    v128.store(out + ((<usize>j) << 2), narrowPair(f64x2.div(low, divisors), f64x2.div(high, divisors)));
  }
  for (; j < count; j++) {
    let sum: f64 = 0;
    for (let r = 0, p = columns + ((<usize>j) << 2); r < R; r++, p += stride) sum += <f64>load<f32>(p);
    store<f32>(out + ((<usize>j) << 2), <f32>(sum / divisor));
  }
}

/** out[j] = max over r of columns[r * inner + j] for j < count. */
function maxOfColumns(columns: usize, out: usize, count: i32, R: i32, inner: i32): void {
  const stride = (<usize>inner) << 2;
  let j = 0;
  for (; j + 16 <= count; j += 16) {
    let m0 = f32x4.splat(f32.NEGATIVE_INFINITY);
    let m1 = m0;
    let m2 = m0;
    let m3 = m0;
    for (let r = 0, p = columns + ((<usize>j) << 2); r < R; r++, p += stride) {
      m0 = f32x4.max(m0, v128.load(p));
      m1 = f32x4.max(m1, v128.load(p, 16));
      m2 = f32x4.max(m2, v128.load(p, 32));
      m3 = f32x4.max(m3, v128.load(p, 48));
    }
    const target = out + ((<usize>j) << 2);
    v128.store(target, m0);
    v128.store(target, m1, 16);
    v128.store(target, m2, 32);
    v128.store(target, m3, 48);
  }
  for (; j + 4 <= count; j += 4) {
    let m = f32x4.splat(f32.NEGATIVE_INFINITY);
    for (let r = 0, p = columns + ((<usize>j) << 2); r < R; r++, p += stride) m = f32x4.max(m, v128.load(p));
    v128.store(out + ((<usize>j) << 2), m);
  }
  for (; j < count; j++) {
    let maximum = f32.NEGATIVE_INFINITY;
    for (let r = 0, p = columns + ((<usize>j) << 2); r < R; r++, p += stride) maximum = max(maximum, load<f32>(p));
    store<f32>(out + ((<usize>j) << 2), maximum);
  }
}

/** Rounds two f64x2 to f32 and packs them as one f32x4 (low pair first). */
// @ts-ignore: decorator
@inline
function narrowPair(low: v128, high: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(low), f32x4.demote_f64x2_zero(high), 0, 1, 4, 5);
}
