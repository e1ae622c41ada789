// One torch.optim.SGD step per element (weight decay, momentum with dampening or Nesterov), then the pruning mask, f32x4
// over contiguous elements; same contract as shaders/sgd_update.wgsl.
import { rangeEnd, rangeStart } from './partition';

/**
 * Over this thread's share of [0, size): g = grad + weightDecay * param; with momentum, v = firstStep ? g :
 * momentum * v + (1 - dampening) * g and step = nesterov ? g + momentum * v : v (without, step = g and v passes
 * through); newParam = (param - lr * step) * mask, newVelocity = v * mask. Scalar and vector paths round alike.
 */
export function sgdUpdate(
  param: usize,
  grad: usize,
  velocity: usize,
  mask: usize,
  newParam: usize,
  newVelocity: usize,
  size: i32,
  lr: f32,
  momentum: f32,
  oneMinusDampening: f32,
  weightDecay: f32,
  nesterov: i32,
  firstStep: i32,
  tid: i32,
  threads: i32,
): void {
  const start = rangeStart(size, tid, threads, 4);
  const end = rangeEnd(size, tid, threads, 4);
  const useMomentum = momentum != 0;
  const lrs = f32x4.splat(lr);
  const momenta = f32x4.splat(momentum);
  const gradShares = f32x4.splat(oneMinusDampening);
  const decays = f32x4.splat(weightDecay);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const offset = (<usize>i) << 2;
    const p = v128.load(param + offset);
    const g = f32x4.add(v128.load(grad + offset), f32x4.mul(decays, p));
    let v = v128.load(velocity + offset);
    let step = g;
    if (useMomentum) {
      v = firstStep ? g : f32x4.add(f32x4.mul(momenta, v), f32x4.mul(gradShares, g));
      step = nesterov ? f32x4.add(g, f32x4.mul(momenta, v)) : v;
    }
    const keep = v128.load(mask + offset);
    v128.store(newParam + offset, f32x4.mul(f32x4.sub(p, f32x4.mul(lrs, step)), keep));
    v128.store(newVelocity + offset, f32x4.mul(v, keep));
  }
  for (; i < end; i++) {
    const offset = (<usize>i) << 2;
    const p = load<f32>(param + offset);
    const g = load<f32>(grad + offset) + weightDecay * p;
    let v = load<f32>(velocity + offset);
    let step = g;
    if (useMomentum) {
      v = firstStep ? g : momentum * v + oneMinusDampening * g;
      step = nesterov ? g + momentum * v : v;
    }
    const keep = load<f32>(mask + offset);
    store<f32>(newParam + offset, (p - lr * step) * keep);
    store<f32>(newVelocity + offset, v * keep);
  }
}
