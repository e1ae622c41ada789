// Affine scale out = x * alpha + beta, f32x4 over contiguous elements; same contract as shaders/scale.wgsl.
import { rangeEnd, rangeStart } from './partition';

/** out[i] = x[i] * alpha + beta (a float32 multiply, then a float32 add) over this thread's share of [0, size). */
export function scale(x: usize, out: usize, size: i32, alpha: f32, beta: f32, tid: i32, threads: i32): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  const alphas = f32x4.splat(alpha);
  const betas = f32x4.splat(beta);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    v128.store(out + offset, f32x4.add(f32x4.mul(v128.load(x + offset), alphas), betas));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    store<f32>(out + offset, load<f32>(x + offset) * alpha + beta);
  }
}
