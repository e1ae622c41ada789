// Per-channel affine map over x viewed as [outer, C, inner]: out[o, c, s] = x[o, c, s] * scale[c] + shift[c], f32x4.
import { rangeEnd, rangeStart } from './partition';

/**
 * Multiplies every element of channel c by scale[c] and adds shift[c] (a float32 multiply, then a float32 add). Threads
 * split the flat element range of independent outputs, so any thread count gives the same bits. When inner is 1
 * ([N, F] inputs) each row is combined with the scale and shift vectors; otherwise each run of `inner` elements gets
 * one broadcast pair.
 */
export function channelAffine(
  x: usize,
  scale: usize,
  shift: usize,
  out: usize,
  outer: i32,
  C: i32,
  inner: i32,
  tid: i32,
  threads: i32,
): void {
  const size = outer * C * inner;
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  if (start >= end) return;
  if (inner == 1) {
    let i = start;
    let c = start % C;
    while (i < end) {
      const count = min(end - i, C - c);
      const channel = (<usize>c) << 2;
      affineVector(x + ((<usize>i) << 2), scale + channel, shift + channel, out + ((<usize>i) << 2), count);
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
    const channel = (<usize>c) << 2;
    affineScalar(x + ((<usize>i) << 2), out + ((<usize>i) << 2), count, load<f32>(scale + channel), load<f32>(shift + channel));
    i += count;
    position = 0;
    if (++c == C) c = 0;
  }
}

/** out[k] = x[k] * a[k] + b[k] for k < count. */
// @ts-ignore: decorator
@inline
function affineVector(x: usize, a: usize, b: usize, out: usize, count: i32): void {
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const offset = (<usize>k) << 2;
    v128.store(out + offset, f32x4.add(f32x4.mul(v128.load(x + offset), v128.load(a + offset)), v128.load(b + offset)));
  }
  for (; k < count; k++) {
    const offset = (<usize>k) << 2;
    store<f32>(out + offset, load<f32>(x + offset) * load<f32>(a + offset) + load<f32>(b + offset));
  }
}

/** out[k] = x[k] * a + b for k < count. */
// @ts-ignore: decorator
@inline
function affineScalar(x: usize, out: usize, count: i32, a: f32, b: f32): void {
  const scales = f32x4.splat(a);
  const shifts = f32x4.splat(b);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const offset = (<usize>k) << 2;
    v128.store(out + offset, f32x4.add(f32x4.mul(v128.load(x + offset), scales), shifts));
  }
  for (; k < count; k++) {
    const offset = (<usize>k) << 2;
    store<f32>(out + offset, load<f32>(x + offset) * a + b);
  }
}
