// ReLU and its derivative mask, f32x4 over contiguous elements; same contract as shaders/relu.wgsl.
import { rangeEnd, rangeStart } from './partition';

/** out[i] = max(x[i], 0) for i in this thread's share of [0, size). */
export function relu(x: usize, out: usize, size: i32, tid: i32, threads: i32): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  const zero = f32x4.splat(0);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, f32x4.max(v128.load(x + offset), zero));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, max(load<f32>(x + offset), 0));
  }
}

/** out[i] = 1 if x[i] > 0 else 0. */
export function reluMask(x: usize, out: usize, size: i32, tid: i32, threads: i32): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, v128.and(f32x4.gt(v128.load(x + offset), zero), one));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(x + offset) > 0 ? 1 : 0);
  }
}
