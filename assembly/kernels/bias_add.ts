// Bias add over x viewed as [outer, C, inner]: out[o, c, s] = x[o, c, s] + bias[c], f32x4 over contiguous elements.
import { rangeEnd, rangeStart } from './partition';

/**
 * Adds bias[c] to every element of channel c. Threads split the flat element range, so any thread count gives the
 * same bits. When inner is 1 ([N, F] inputs) each row is added to the bias vector; otherwise each run of `inner`
 * elements gets one broadcast bias value.
 */
export function biasAdd(x: usize, bias: usize, out: usize, outer: i32, C: i32, inner: i32, tid: i32, threads: i32): void {
  const size = outer * C * inner;
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  if (start >= end) return;
  if (inner == 1) {
    let i = start;
    let c = start % C;
    while (i < end) {
      const count = min(end - i, C - c);
      addVector(x + ((<usize>i) << 2), bias + ((<usize>c) << 2), out + ((<usize>i) << 2), count);
      i += count;
      c = 0;
    }
    return;
  }
  let i = start;
  const row = start / inner;
  let c = row % C;
  let position = start - row * inner;
  while (i < end) {
    const count = min(end - i, inner - position);
    addScalar(x + ((<usize>i) << 2), out + ((<usize>i) << 2), count, load<f32>(bias + ((<usize>c) << 2)));
    i += count;
    position = 0;
    if (++c == C) c = 0;
  }
}

/** out[k] = x[k] + b[k] for k < count. */
// @ts-ignore: decorator
@inline
function addVector(x: usize, b: usize, out: usize, count: i32): void {
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const offset = (<usize>k) << 2;
    v128.store(out + offset, f32x4.add(v128.load(x + offset), v128.load(b + offset)));
  }
  for (; k < count; k++) {
    const offset = (<usize>k) << 2;
    store<f32>(out + offset, load<f32>(x + offset) + load<f32>(b + offset));
  }
}

/** out[k] = x[k] + value for k < count. */
// @ts-ignore: decorator
@inline
function addScalar(x: usize, out: usize, count: i32, value: f32): void {
  const splat = f32x4.splat(value);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const offset = (<usize>k) << 2;
    v128.store(out + offset, f32x4.add(v128.load(x + offset), splat));
  }
  for (; k < count; k++) {
    const offset = (<usize>k) << 2;
    store<f32>(out + offset, load<f32>(x + offset) + value);
  }
}
