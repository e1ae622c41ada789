// One torch.optim.Adam / AdamW step per element with host-computed bias corrections, then the pruning mask, f32x4 over
// contiguous elements; same contract as shaders/adam_update.wgsl.
import { rangeEnd, rangeStart } from './partition';

/**
 * Over this thread's share of [0, size): g = grad + gradDecay * param; m' = beta1 * m + (1 - beta1) * g;
 * v' = beta2 * v + (1 - beta2) * g * g; newParam = (param * paramScale - stepSize * m' / (sqrt(v') /
 * biasCorrection2Sqrt + eps)) * mask, and m', v' times mask. Adam passes gradDecay = weightDecay, paramScale = 1;
 * AdamW gradDecay = 0, paramScale = 1 - lr * weightDecay. Scalar and vector paths round alike.
 */
export function adamUpdate(
  param: usize,
  grad: usize,
  m: usize,
  v: usize,
  mask: usize,
  newParam: usize,
  newM: usize,
  newV: usize,
  size: i32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  gradDecay: f32,
  paramScale: f32,
  stepSize: f32,
  biasCorrection2Sqrt: f32,
  tid: i32,
  threads: i32,
): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  const beta1s = f32x4.splat(beta1);
  const beta2s = f32x4.splat(beta2);
  const gradShares1 = f32x4.splat(oneMinusBeta1);
  const gradShares2 = f32x4.splat(oneMinusBeta2);
  const epsilons = f32x4.splat(eps);
  const decays = f32x4.splat(gradDecay);
  const scales = f32x4.splat(paramScale);
  const stepSizes = f32x4.splat(stepSize);
  const corrections = f32x4.splat(biasCorrection2Sqrt);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    const p = v128.load(param + offset);
    const g = f32x4.add(v128.load(grad + offset), f32x4.mul(decays, p));
    const m1 = f32x4.add(f32x4.mul(beta1s, v128.load(m + offset)), f32x4.mul(gradShares1, g));
    const v1 = f32x4.add(f32x4.mul(beta2s, v128.load(v + offset)), f32x4.mul(gradShares2, f32x4.mul(g, g)));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(v1), corrections), epsilons);
    const keep = v128.load(mask + offset);
    const updated = f32x4.sub(f32x4.mul(p, scales), f32x4.mul(stepSizes, f32x4.div(m1, denom)));
    v128.store(newParam + offset, f32x4.mul(updated, keep));
    v128.store(newM + offset, f32x4.mul(m1, keep));
    v128.store(newV + offset, f32x4.mul(v1, keep));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    const p = load<f32>(param + offset);
    const g = load<f32>(grad + offset) + gradDecay * p;
    const m1 = beta1 * load<f32>(m + offset) + oneMinusBeta1 * g;
    const v1 = beta2 * load<f32>(v + offset) + oneMinusBeta2 * (g * g);
    const denom = Mathf.sqrt(v1) / biasCorrection2Sqrt + eps;
    const keep = load<f32>(mask + offset);
    store<f32>(newParam + offset, (p * paramScale - stepSize * (m1 / denom)) * keep);
    store<f32>(newM + offset, m1 * keep);
    store<f32>(newV + offset, v1 * keep);
  }
}
