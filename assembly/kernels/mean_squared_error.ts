// Mean squared error over the rows of pred and target viewed as [N, F]: per-row losses and the gradient of their mean,
// rows split across threads.
//
// losses[n] = Σ_f (pred[n, f] - target[n, f])² / F, and grad[n, f] = (pred[n, f] - target[n, f]) * gradScale with
// gradScale = 2 / (N * F) rounded once on the host: the gradient of the mean over all N*F elements, which is also the
// mean of the losses (PyTorch's MSELoss(reduction='mean')). Differences, squares and gradients are rounded to f32 one
// operation at a time, as the WebGPU shader does. The squares are summed in f32 lanes over blocks of BLOCK elements and
// the block sums in f64, so a row's loss is within a few ulps of the exact sum of the rounded squares at any F. Each
// row is computed by one thread, so the result does not depend on the thread count.
import { rangeEnd, rangeStart } from './partition';

/** Elements summed in f32 lanes before the partial sum moves into the f64 total (16 per lane). */
const BLOCK: i32 = 64;

export function meanSquaredError(
  pred: usize,
  target: usize,
  losses: usize,
  grad: usize,
  N: i32,
  F: i32,
  gradScale: f32,
  tid: i32,
  threads: i32,
): void {
  const first = rangeStart(N, tid, threads);
  const last = rangeEnd(N, tid, threads);
  const scales = f32x4.splat(gradScale);
  const vectorEnd = F & ~3;
  for (let n = first; n < last; n++) {
    const offset = (<usize>n * F) << 2;
    const p = pred + offset;
    const t = target + offset;
    const g = grad + offset;
    let total: f64 = 0;
    let f = 0;
    while (f < vectorEnd) {
      const blockEnd = min(vectorEnd, f + BLOCK);
      let lanes = f32x4.splat(0);
      for (; f < blockEnd; f += 4) {
        const at = (<usize>f) << 2;
        const d = f32x4.sub(v128.load(p + at), v128.load(t + at));
        v128.store(g + at, f32x4.mul(d, scales));
        lanes = f32x4.add(lanes, f32x4.mul(d, d));
      }
      total += <f64>f32x4.extract_lane(lanes, 0) + <f64>f32x4.extract_lane(lanes, 1);
      total += <f64>f32x4.extract_lane(lanes, 2) + <f64>f32x4.extract_lane(lanes, 3);
    }
    for (; f < F; f++) {
      const at = (<usize>f) << 2;
      const d = load<f32>(p + at) - load<f32>(t + at);
      store<f32>(g + at, d * gradScale);
      total += <f64>(d * d);
    }
    store<f32>(losses + ((<usize>n) << 2), <f32>(total / <f64>F));
  }
}
